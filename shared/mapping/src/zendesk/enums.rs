//! Zendesk enums that must never crash on values we do not know (custom statuses, new
//! channels, upper-case webhook values): unknown values are kept verbatim.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! open_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)*
            /// A value this version does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// Parses case-insensitively; anything unknown becomes `Other`.
            pub fn parse(raw: &str) -> Self {
                let lower = raw.trim().to_ascii_lowercase();
                match lower.as_str() {
                    $($text => Self::$variant,)*
                    _ => Self::Other(raw.to_owned()),
                }
            }

            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Other(raw) => raw,
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Ok(Self::parse(&raw))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

open_enum!(
    /// Ticket status.
    TicketStatus {
        New = "new",
        Open = "open",
        Pending = "pending",
        Hold = "hold",
        Solved = "solved",
        Closed = "closed",
        Deleted = "deleted",
    }
);

open_enum!(
    /// Ticket priority.
    TicketPriority {
        Low = "low",
        Normal = "normal",
        High = "high",
        Urgent = "urgent",
    }
);

open_enum!(
    /// Ticket type.
    TicketType {
        Problem = "problem",
        Incident = "incident",
        Question = "question",
        Task = "task",
    }
);

open_enum!(
    /// User role.
    UserRole {
        EndUser = "end-user",
        Agent = "agent",
        Admin = "admin",
    }
);

impl UserRole {
    /// Agents and admins become CRM users; everyone else is a contact (docs/sync-rules.md §3.2).
    pub fn is_staff(&self) -> bool {
        matches!(self, Self::Agent | Self::Admin)
    }
}
