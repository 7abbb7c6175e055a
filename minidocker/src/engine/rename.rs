//! `docker rename`: a container's name is only its record's `Name`; the DNS server of user
//! networks reads the records on every query, so a running container answers to its new
//! name at once.

use super::{Engine, EngineError};
use crate::container::{ContainerError, validate_name};

impl Engine {
    // ANCHOR: rename
    /// Renames container `name_or_id` to `new_name`, with Docker's checks in Docker's order
    /// (`daemon/rename.go`): both names given, the container exists, the name changes, the
    /// new name is valid and free. Emits `rename` with the old name (`oldName`, with its
    /// slash).
    pub fn rename_container(&self, name_or_id: &str, new_name: &str) -> Result<(), EngineError> {
        if name_or_id.is_empty() || new_name.is_empty() {
            return Err(EngineError::Invalid(
                "Neither old nor new names may be empty".into(),
            ));
        }
        let new_name = match new_name.starts_with('/') {
            true => new_name.to_owned(),
            false => format!("/{new_name}"),
        };
        let c = self.containers.find(name_or_id)?;
        let old_name = c.name.clone();
        if old_name == new_name {
            return Err(EngineError::Invalid(
                "Renaming a container with the same name as its current name".into(),
            ));
        }
        let allocating = |e: ContainerError| {
            let message = format!("Error when allocating new name: {e}");
            match e {
                ContainerError::NameInUse { .. } => EngineError::Conflict(message),
                ContainerError::InvalidName(_) => EngineError::Invalid(message),
                other => other.into(),
            }
        };
        let bare = validate_name(&new_name).map_err(allocating)?;
        self.containers.check_name_free(&bare).map_err(allocating)?;
        // the record as it is now (its shim may have saved a new state since it was read)
        let mut now = self.containers.load(&c.id)?;
        now.name = format!("/{bare}");
        self.containers.save(&now)?;
        self.container_event(&now, "rename", &[("oldName", old_name)]);
        Ok(())
    }
    // ANCHOR_END: rename
}
