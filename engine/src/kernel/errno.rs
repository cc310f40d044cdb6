use serde::{Deserialize, Serialize};
use std::fmt;

/// The kernel error codes the model returns, with their Linux numbers.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Errno {
    Eio,
    Enomem,
    Efault,
    Ebusy,
    Eexist,
    Enospc,
    Einval,
}

impl Errno {
    pub fn number(self) -> i32 {
        match self {
            Errno::Eio => 5,
            Errno::Enomem => 12,
            Errno::Efault => 14,
            Errno::Ebusy => 16,
            Errno::Eexist => 17,
            Errno::Enospc => 28,
            Errno::Einval => 22,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Errno::Eio => "EIO",
            Errno::Enomem => "ENOMEM",
            Errno::Efault => "EFAULT",
            Errno::Ebusy => "EBUSY",
            Errno::Eexist => "EEXIST",
            Errno::Enospc => "ENOSPC",
            Errno::Einval => "EINVAL",
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "-{}", self.name())
    }
}
