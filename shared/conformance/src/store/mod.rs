//! The `CrmStore` conformance suite (the contract in `zsync_core::ports::store`).
//!
//! Run it with [`store_conformance_tests!`](crate::store_conformance_tests).

mod accounts;
mod case_search;
mod cases;
mod concurrency;
mod contact_links;
mod jobs;
mod outbox;
mod paging;
mod purge;
mod records;

pub use accounts::*;
pub use case_search::*;
pub use cases::*;
pub use concurrency::*;
pub use contact_links::*;
pub use jobs::*;
pub use outbox::*;
pub use paging::*;
pub use purge::*;
pub use records::*;

use zsync_core::ports::{Page, StoreError, StoreResult};

/// Expands to one `#[tokio::test]` per store case, in a module `store_conformance`.
/// `$make` is an async factory `() -> Fresh<dyn CrmStore>` called once per test.
#[macro_export]
macro_rules! store_conformance_tests {
    ($make:expr) => {
        $crate::__conformance_tests!(
            store_conformance,
            store,
            $make,
            [
                integration_lifecycle,
                integration_update_of_missing_fails,
                user_id_and_email_are_unique,
                users_list_walks_every_user_once,
                contact_get_or_create_is_keyed_by_email,
                contacts_list_walks_every_contact_once,
                zendesk_user_link_is_created_with_its_contact,
                zendesk_user_link_replace_moves_the_email,
                case_lifecycle,
                linked_case_is_created_with_its_record,
                publish_links_an_existing_case,
                list_cases_filters,
                list_cases_cursor_walk,
                list_cases_follows_updates,
                list_cases_refuses_a_bad_cursor,
                list_cases_word_search,
                comments_put_is_idempotent_and_oldest_first,
                comments_put_together_land_like_single_puts,
                outbox_marks_accumulate_and_clear_only_what_was_seen,
                outbox_mark_is_written_only_with_its_case,
                jobs_lifecycle_newest_first,
                job_counters_are_added,
                job_counters_survive_a_stale_update,
                export_cursor_versions,
                log_is_newest_first_and_limited,
                log_entries_expire,
                jobs_page_with_cursors,
                log_pages_with_cursors_and_filters,
                job_and_log_pages_refuse_a_bad_cursor,
                remember_once_until_ttl,
                forget_lets_a_key_be_remembered_again,
                lease_lifecycle,
                concurrent_case_updates_one_wins,
                concurrent_get_or_create_contact_makes_one,
                concurrent_create_linked_case_one_wins,
                concurrent_job_counter_increments_all_count,
                concurrent_user_creation_same_email_one_wins,
                concurrent_lease_acquire_one_holder,
                concurrent_remember_once_one_true,
                concurrent_zendesk_user_link_creation_one_wins,
                one_integration_per_account,
                url_change_moves_the_account_claim,
                deleting_frees_the_account_and_remembers_the_holder,
                relink_moves_a_case_to_another_integration,
                concurrent_integrations_for_one_account_one_wins,
                concurrent_url_changes_onto_one_account_one_wins,
                purge_removes_sync_data_in_bounded_steps,
            ]
        );
    };
}

/// Upper bound on pages in a cursor walk: a store that never ends its pages fails the test
/// instead of hanging it.
const MAX_PAGES: usize = 200;

/// Walks every page of a list (bounded), checking each page respects `limit`.
pub(crate) async fn walk<T, F, Fut>(limit: usize, mut page: F) -> Vec<T>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = StoreResult<Page<T>>>,
{
    let mut items = Vec::new();
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let got = page(cursor.take()).await.expect("list page");
        assert!(
            got.items.len() <= limit,
            "page of {} items exceeds limit {limit}",
            got.items.len()
        );
        items.extend(got.items);
        match got.next_cursor {
            Some(next) => cursor = Some(next),
            None => return items,
        }
    }
    panic!("cursor walk did not end within {MAX_PAGES} pages");
}

pub(crate) fn is_conflict<T: std::fmt::Debug>(result: &StoreResult<T>) -> bool {
    matches!(result, Err(StoreError::VersionConflict { .. }))
}

pub(crate) fn is_already_exists<T: std::fmt::Debug>(result: &StoreResult<T>) -> bool {
    matches!(result, Err(StoreError::AlreadyExists { .. }))
}
