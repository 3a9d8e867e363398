//! Conformance suites for the zendesk-sync ports: the same test bodies run against every adapter.
