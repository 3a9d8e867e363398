//! Embedded adapters of the zendesk-sync ports for the local server: redb store and queue, file secrets.
