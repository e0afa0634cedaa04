//! The two editions of a report: public (citizens, the public list) and internal (police chief, board chair).

use serde::{Deserialize, Serialize};

/// Which edition of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Edition {
    /// No notes, no record ids, no names of private persons.
    Public,
    /// Adds data-quality detail, rejected rows and the ids behind each figure.
    Internal,
}

impl Edition {
    /// `public` or `internal`.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Edition::Public => "public",
            Edition::Internal => "internal",
        }
    }
}

/// Who gets a report: the roles of `[recipients]`. The role decides the edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Lokalpolischefen: the internal edition.
    PoliceChief,
    /// Kommunstyrelsens ordförande: the internal edition.
    BoardChair,
    /// The public mailing list: the public edition, with list headers.
    PublicList,
}

impl Role {
    /// Every role, in the order reports and listings name them.
    pub const ALL: [Role; 3] = [Role::PoliceChief, Role::BoardChair, Role::PublicList];

    /// The key in the configuration, the outbox and the manifest.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Role::PoliceChief => "police_chief",
            Role::BoardChair => "board_chair",
            Role::PublicList => "public_list",
        }
    }

    /// The role named by `key`.
    #[must_use]
    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == key)
    }

    /// The edition this role gets.
    #[must_use]
    pub fn edition(self) -> Edition {
        match self {
            Role::PublicList => Edition::Public,
            Role::PoliceChief | Role::BoardChair => Edition::Internal,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}
