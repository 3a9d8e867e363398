//! "Schedule Sync": manual and full jobs, their state and counters as the export works on them.

mod export_common;

use std::sync::Arc;

use chrono::Duration;
use export_common::queues::{SendHook, TestQueue};
use export_common::{API_TOKEN, Harness, as_sets, deadline, sent_comments, snapshot_counts};
use secrecy::SecretString;
use zsync_core::context::Clock;
use zsync_core::export::jobs::ABANDONED_AFTER;
use zsync_core::export::{
    RunEnd, ScheduleError, run_exports, run_integration_export, schedule_sync,
};
use zsync_core::message::SyncMessage;
use zsync_core::ports::secrets::api_token_name;
use zsync_core::sync::{ReceivedMessage, process_batch};
use zsync_mapping::zendesk::TicketPriority;
use zsync_mapping::{IntegrationId, JobId, JobKind, JobState, LogOutcome, SyncJob};
use zsync_zendesk_sim::TicketChange;

fn breaks_after(h: &Harness, healthy: usize) -> zsync_core::context::SyncContext {
    h.ctx_with_queue(TestQueue::breaks_after(h.queue.clone(), healthy))
}

async fn job(h: &Harness, id: &JobId) -> SyncJob {
    h.ctx
        .store
        .get_job(&h.integration, id)
        .await
        .expect("read")
        .expect("job")
        .value
}

#[tokio::test]
async fn a_manual_sync_is_queued_runs_with_moving_counters_and_succeeds() {
    let h = Harness::start(10).await;
    h.seed(45, 2);
    let manual = schedule_sync(&h.ctx, &h.integration, false)
        .await
        .expect("schedule");
    assert_eq!(
        (manual.kind, manual.state),
        (JobKind::Manual, JobState::Queued)
    );
    assert_eq!(job(&h, &manual.id).await.state, JobState::Queued);

    // Two pages get through, then the queue fails: the job runs on with what was done.
    let cut = run_integration_export(&breaks_after(&h, 2), &h.integration, deadline()).await;
    assert!(matches!(cut.end, RunEnd::Paused(_)), "{cut:?}");
    let midway = job(&h, &manual.id).await;
    assert_eq!(midway.state, JobState::Running);
    assert_eq!(midway.counters.tickets_seen, 20);

    let runs = run_exports(&h.ctx, deadline()).await.expect("run");
    assert_eq!(runs[0].end, RunEnd::Complete);
    assert_eq!(
        runs[0].job_id.as_ref(),
        Some(&manual.id),
        "the manual job, not a new one"
    );
    // Everything is exported, but nothing is applied yet: the job waits for the mapper.
    let exported = job(&h, &manual.id).await;
    assert_eq!(exported.state, JobState::Running);
    assert!(exported.export_complete);
    assert_eq!(exported.counters.tickets_seen, 45);
    assert!(exported.finished_at.is_none());

    // The mapper reports an outcome for every ticket; the last report succeeds the job.
    let received: Vec<ReceivedMessage> = h
        .drain()
        .await
        .into_iter()
        .enumerate()
        .map(|(i, message)| ReceivedMessage {
            id: format!("m-{i}"),
            body: message.encode(),
            receive_count: 1,
            receipt: None,
        })
        .collect();
    let failed = process_batch(&h.ctx, received, 5).await;
    assert!(failed.is_empty(), "{failed:?}");
    let done = job(&h, &manual.id).await;
    assert_eq!(done.state, JobState::Succeeded, "{done:?}");
    assert_eq!(done.counters.tickets_seen, 45);
    assert_eq!(done.counters.cases_created, 45);
    assert!(done.finished_at.is_some() && done.error.is_none());
    let messages = h.drain().await;
    assert!(messages.iter().all(|m| match m {
        SyncMessage::TicketSnapshot { job_id, .. } | SyncMessage::TicketComments { job_id, .. } =>
            job_id.as_ref() == Some(&manual.id),
        _ => false,
    }));
    assert_eq!(
        h.ctx
            .store
            .list_jobs(&h.integration, 10)
            .await
            .expect("jobs")
            .len(),
        1
    );
}

#[tokio::test]
async fn a_full_sync_exports_everything_again_and_supersedes_an_unfinished_job() {
    let h = Harness::start(10).await;
    h.seed(30, 2);
    assert_eq!(
        run_exports(&h.ctx, deadline()).await.expect("first")[0].end,
        RunEnd::Complete
    );
    h.drain().await;

    // An incremental manual job left unfinished (its page of changes could not be sent)...
    let changed = h.open_ticket();
    let change = TicketChange {
        priority: Some(TicketPriority::High),
        ..Default::default()
    };
    h.sim.agent_update_ticket(changed, change).expect("change");
    let manual = schedule_sync(&h.ctx, &h.integration, false)
        .await
        .expect("manual");
    let cut = run_integration_export(&breaks_after(&h, 0), &h.integration, deadline()).await;
    assert!(matches!(cut.end, RunEnd::Paused(_)));
    assert_eq!(job(&h, &manual.id).await.state, JobState::Running);

    // ...is superseded by a full sync, which restarts from the beginning.
    let full = schedule_sync(&h.ctx, &h.integration, true)
        .await
        .expect("full");
    assert_eq!(full.kind, JobKind::Full);
    let superseded = job(&h, &manual.id).await;
    assert_eq!(superseded.state, JobState::Failed);
    assert!(
        superseded
            .error
            .as_deref()
            .unwrap_or("")
            .contains("superseded"),
        "{superseded:?}"
    );

    let run = run_integration_export(&h.ctx, &h.integration, deadline()).await;
    assert_eq!(run.end, RunEnd::Complete);
    let messages = h.drain().await;
    assert_eq!(snapshot_counts(&messages).len(), 30, "every ticket again");
    assert_eq!(
        as_sets(&sent_comments(&messages)),
        h.all_comment_ids(),
        "every comment again"
    );
    let full = job(&h, &full.id).await;
    assert_eq!(
        (full.state, full.export_complete, full.counters.tickets_seen),
        (JobState::Running, true, 30),
        "exported; it succeeds when the mapper has applied it"
    );
}

#[tokio::test]
async fn a_permanent_error_fails_the_job_with_a_reason_and_no_secret() {
    let h = Harness::start(10).await;
    h.seed(5, 1);
    let manual = schedule_sync(&h.ctx, &h.integration, false)
        .await
        .expect("schedule");
    let wrong = "definitely-not-the-token";
    h.ctx
        .secrets
        .put(
            &api_token_name(h.integration.as_str()),
            &SecretString::from(wrong),
        )
        .await
        .expect("token");
    let run = run_integration_export(&h.ctx, &h.integration, deadline()).await;
    assert!(matches!(run.end, RunEnd::Failed(_)), "{run:?}");
    let failed = job(&h, &manual.id).await;
    assert_eq!(failed.state, JobState::Failed);
    let error = failed.error.expect("a reason");
    assert!(error.contains("credentials"), "{error}");
    assert!(!error.contains(wrong) && !error.contains(API_TOKEN));
    let log = h.ctx.store.list_log(&h.integration, 10).await.expect("log");
    assert!(
        log.iter()
            .any(|e| e.outcome == LogOutcome::Failed && e.message.contains("export failed"))
    );
    assert_eq!(h.drain().await, Vec::new());
}

#[tokio::test]
async fn scheduling_needs_a_known_active_integration() {
    let h = Harness::start(10).await;
    let unknown = IntegrationId::new("nope");
    assert!(matches!(
        schedule_sync(&h.ctx, &unknown, false).await,
        Err(ScheduleError::UnknownIntegration(id)) if id == unknown
    ));
    let stored = h
        .ctx
        .store
        .get_integration(&h.integration)
        .await
        .expect("read")
        .expect("integration");
    let mut inactive = stored.value;
    inactive.active = false;
    h.ctx
        .store
        .update_integration(&inactive, stored.version)
        .await
        .expect("deactivate");
    assert!(matches!(
        schedule_sync(&h.ctx, &h.integration, true).await,
        Err(ScheduleError::Inactive(_))
    ));
    assert_eq!(
        run_exports(&h.ctx, deadline()).await.expect("run"),
        Vec::new(),
        "inactive: not exported"
    );
}

#[tokio::test]
async fn a_full_sync_scheduled_mid_run_wins_the_cursor_and_restarts_the_export() {
    let h = Harness::start(10).await;
    h.seed(50, 1);
    // While page 3 is being sent, an admin schedules a full sync: this run's cursor write
    // then loses (version conflict) and the run stops; nothing it sent is lost or kept twice
    // in the stored position.
    let scheduled = Arc::new(std::sync::Mutex::new(None));
    let hook: SendHook = {
        let (ctx, id, scheduled) = (h.ctx.clone(), h.integration.clone(), scheduled.clone());
        Box::new(move |n| {
            let (ctx, id, scheduled) = (ctx.clone(), id.clone(), scheduled.clone());
            Box::pin(async move {
                if n == 2 {
                    let job = schedule_sync(&ctx, &id, true).await.expect("full sync");
                    *scheduled.lock().expect("lock") = Some(job);
                }
            })
        })
    };
    let racing = h.ctx_with_queue(TestQueue::with_hook(h.queue.clone(), hook));
    let cut = run_integration_export(&racing, &h.integration, deadline()).await;
    assert!(matches!(cut.end, RunEnd::Interrupted(_)), "{cut:?}");
    let scheduled_job = cut.job_id.clone().expect("the run's own job");
    let full = scheduled.lock().expect("lock").clone().expect("full job");
    let superseded = job(&h, &scheduled_job).await;
    assert_eq!(
        superseded.state,
        JobState::Failed,
        "the interrupted run's job was superseded"
    );

    let run = run_integration_export(&h.ctx, &h.integration, deadline()).await;
    assert_eq!(
        (run.end, run.job_id.as_ref()),
        (RunEnd::Complete, Some(&full.id))
    );
    assert_eq!(
        run.tickets_enqueued, 50,
        "the full sync starts from the beginning"
    );
    let messages = h.drain().await;
    assert_eq!(snapshot_counts(&messages).len(), 50);
    assert_eq!(as_sets(&sent_comments(&messages)), h.all_comment_ids());
    let full = job(&h, &full.id).await;
    assert_eq!(
        (full.state, full.export_complete, full.counters.tickets_seen),
        (JobState::Running, true, 50),
        "exported; it succeeds when the mapper has applied it"
    );
}

#[tokio::test]
async fn a_job_whose_creator_died_before_attaching_it_is_closed_as_abandoned() {
    let h = Harness::start(10).await;
    h.seed(5, 1);
    // A job created by a run that crashed before writing the cursor, long ago.
    let orphan = SyncJob {
        id: JobId::new("orphan"),
        integration_id: h.integration.clone(),
        kind: JobKind::Scheduled,
        state: JobState::Running,
        started_at: h.clock.now() - ABANDONED_AFTER - Duration::minutes(1),
        finished_at: None,
        counters: Default::default(),
        error: None,
        export_complete: false,
    };
    h.ctx.store.create_job(&orphan).await.expect("orphan");
    // A "Schedule Sync" that is still attaching its job is left alone.
    let fresh = SyncJob {
        id: JobId::new("being-scheduled"),
        state: JobState::Queued,
        kind: JobKind::Manual,
        started_at: h.clock.now(),
        ..orphan.clone()
    };
    h.ctx.store.create_job(&fresh).await.expect("fresh");

    let run = run_integration_export(&h.ctx, &h.integration, deadline()).await;
    assert_eq!(run.end, RunEnd::Complete);
    let closed = job(&h, &orphan.id).await;
    assert_eq!(closed.state, JobState::Failed);
    assert!(closed.error.unwrap_or_default().contains("abandoned"));
    assert_eq!(job(&h, &fresh.id).await.state, JobState::Queued);
}
