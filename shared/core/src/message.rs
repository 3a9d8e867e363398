//! The sync queue's messages: a versioned, self-describing envelope
//! (`{"v":1,"kind":"…","body":{…}}`) so old and new code can share a queue during a deploy.

use serde::{Deserialize, Serialize};
use zsync_mapping::zendesk::{Comment, Ticket, User};
use zsync_mapping::{CaseId, CommentId, IntegrationId, JobId};

pub const ENVELOPE_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "body", rename_all = "snake_case")]
pub enum SyncMessage {
    /// A ticket state from the export, with the people it references and its comments.
    TicketSnapshot {
        integration_id: IntegrationId,
        job_id: Option<JobId>,
        ticket: Box<Ticket>,
        users: Vec<User>,
        comments: Vec<Comment>,
        /// When split for size: this part's index and the number of parts.
        #[serde(default)]
        part: Option<(u32, u32)>,
    },
    /// A webhook said this ticket changed: fetch it, then apply.
    TicketChanged {
        integration_id: IntegrationId,
        ticket_id: u64,
        event_id: Option<String>,
    },
    /// A CRM case changed (or was published): push its changed fields to Zendesk.
    CaseChanged {
        integration_id: IntegrationId,
        case_id: CaseId,
    },
    /// A new CRM comment on a linked case: add it to the Zendesk ticket.
    CommentAdded {
        integration_id: IntegrationId,
        case_id: CaseId,
        comment_id: CommentId,
    },
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    v: u32,
    #[serde(flatten)]
    message: SyncMessage,
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("not a sync message: {0}")]
    Malformed(String),
    #[error("envelope version {0} is newer than this code understands ({ENVELOPE_VERSION})")]
    UnknownVersion(u32),
}

impl SyncMessage {
    pub fn integration_id(&self) -> &IntegrationId {
        match self {
            Self::TicketSnapshot { integration_id, .. }
            | Self::TicketChanged { integration_id, .. }
            | Self::CaseChanged { integration_id, .. }
            | Self::CommentAdded { integration_id, .. } => integration_id,
        }
    }

    /// Encodes the message in its envelope.
    pub fn encode(&self) -> String {
        #[derive(Serialize)]
        struct Out<'a> {
            v: u32,
            #[serde(flatten)]
            message: &'a SyncMessage,
        }
        // Serializing plain data with string keys cannot fail.
        serde_json::to_string(&Out {
            v: ENVELOPE_VERSION,
            message: self,
        })
        .unwrap_or_default()
    }

    /// Decodes an envelope, refusing versions this code does not know.
    pub fn decode(raw: &str) -> Result<Self, DecodeError> {
        #[derive(Deserialize)]
        struct Probe {
            v: u32,
        }
        let probe: Probe =
            serde_json::from_str(raw).map_err(|e| DecodeError::Malformed(e.to_string()))?;
        if probe.v != ENVELOPE_VERSION {
            return Err(DecodeError::UnknownVersion(probe.v));
        }
        let env: Envelope =
            serde_json::from_str(raw).map_err(|e| DecodeError::Malformed(e.to_string()))?;
        Ok(env.message)
    }
}
