//! zendesk-sync's pure core: CRM domain types, Zendesk wire types, the mappings of
//! docs/sync-rules.md §3–§4, person resolution, contact-name parsing and the three-way merge of
//! docs/sync-rules.md §5. No I/O here: everything is a function of its inputs, so it is tested
//! exhaustively.

pub mod case_mapping;
pub mod comment_mapping;
pub mod contact_link;
pub mod contact_name;
pub mod domain;
pub mod email;
pub mod integration_url;
pub mod merge;
pub mod people;
pub mod publish_mapping;
pub mod record_mapping;
pub mod settings;
pub mod shadow;
pub mod subject_search;
pub mod sync_job;
pub mod ticket_record;
pub mod zendesk;

pub use domain::*;
pub use shadow::{CrmShadow, Shadow, ZendeskShadow};
pub use sync_job::*;
pub use ticket_record::TicketRecord;
