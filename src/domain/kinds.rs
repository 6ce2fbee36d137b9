//! The closed sets of values of the domain.

use crate::error::{Error, Result};

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the value of `field`, or a 400 naming it and the allowed values.
            pub fn parse(field: &str, s: &str) -> Result<$name> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(Error::field(field, format!(
                        "must be one of {}", [$($text),+].join("|")))),
                }
            }

            /// For values read back from the database, which only holds valid ones.
            pub fn from_db(s: &str) -> $name {
                match s { $($text => $name::$variant,)+ _ => $name::ALL[0] }
            }
        }
    };
}

string_enum!(
    /// Conversation priority; the queue serves urgent first.
    Priority { Low = "low", Normal = "normal", High = "high", Urgent = "urgent" }
);

impl Priority {
    /// Queue rank: higher is served first.
    pub fn rank(self) -> i64 {
        match self {
            Priority::Low => 1,
            Priority::Normal => 2,
            Priority::High => 3,
            Priority::Urgent => 4,
        }
    }
}

string_enum!(
    /// Session status: waiting → active (an agent is assigned) → closed.
    Status { Waiting = "waiting", Active = "active", Closed = "closed" }
);

impl Status {
    /// Seed 002's view: OPEN until closed.
    pub fn tenant_str(self) -> &'static str {
        match self {
            Status::Closed => "CLOSED",
            _ => "OPEN",
        }
    }
}

string_enum!(
    /// Which API family opened a session.
    Family { Oss = "oss", Tenant = "tenant" }
);

string_enum!(
    /// Who wrote a message.
    SenderType { Customer = "customer", Agent = "agent", System = "system" }
);

string_enum!(
    /// Agent presence; only `online` agents receive new chats.
    Presence { Online = "online", Away = "away", Offline = "offline" }
);

string_enum!(
    /// Agent role in obrol.
    AgentRole { Agent = "agent", Admin = "admin" }
);

string_enum!(
    /// Seed 002's role allowlist for the tenant family.
    TenantRole {
        SupportAgent = "support_agent",
        KoperasiAdmin = "koperasi_admin",
        KoperasiMember = "koperasi_member",
        UmkmAdmin = "umkm_admin",
        UmkmMember = "umkm_member",
        BumdesAdmin = "bumdes_admin",
        BumdesMember = "bumdes_member",
    }
);
