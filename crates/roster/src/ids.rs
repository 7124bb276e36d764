//! Identifier newtypes, so a workspace id can never be passed where an account id is meant.

use core::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh random (v4) identifier.
            pub fn generate() -> Self {
                Self(uuid::Builder::from_random_bytes(keyhaven_crypto::random_array()).into_uuid())
            }

            /// The 16 raw bytes, as bound into contexts and salts.
            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

id_type!(
    /// A workspace.
    WorkspaceId
);
id_type!(
    /// A user account.
    AccountId
);
id_type!(
    /// A secret item.
    ItemId
);
id_type!(
    /// A workspace recovery key; printed upper-case beside the key.
    RecoveryKeyId
);

impl RecoveryKeyId {
    /// The upper-case `8-4-4-4-12` form printed beside the key.
    pub fn to_upper(&self) -> String {
        self.0.hyphenated().to_string().to_uppercase()
    }

    /// The first 8 characters, used in prompts ("the key whose ID starts with 1A2B3C4D").
    pub fn short(&self) -> String {
        self.to_upper()[..8].to_string()
    }
}
