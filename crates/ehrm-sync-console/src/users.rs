//! Console accounts: one line each, `name:role:argon2id-hash`, from `CONSOLE_USERS_FILE`
//! (locally) or a Secrets Manager secret (AWS). Roles: `viewer` reads everything and records the
//! follow-up of findings; `operator` also replays, redrives and starts reconciliation.

use std::collections::HashMap;

use argon2::{ARGON2ID_IDENT, Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Operator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
        }
    }

    /// `(Indonesian, English)` words.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Role::Viewer => ("pembaca", "viewer"),
            Role::Operator => ("operator", "operator"),
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "operator" => Some(Role::Operator),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub role: Role,
    hash: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UsersError {
    #[error("line {line}: expected name:role:argon2id-hash")]
    Shape { line: usize },
    #[error("line {line}: a user name is 1 to 64 letters, digits, '.', '_' or '-'")]
    Name { line: usize },
    #[error("line {line}: the role must be viewer or operator")]
    Role { line: usize },
    #[error(
        "line {line}: the hash is not an argon2id hash (make it with `ehrm-sync console-user`)"
    )]
    Hash { line: usize },
    #[error("line {line}: user {name} appears twice")]
    Duplicate { line: usize, name: String },
    #[error("the password must have at least 12 characters")]
    ShortPassword,
    #[error("the password could not be hashed: {0}")]
    Hashing(String),
}

/// The configured users. Empty: the console is off.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Users {
    by_name: HashMap<String, User>,
}

/// Compared against when the user is unknown, so that a wrong name costs as long as a wrong
/// password (no telling which names exist by timing).
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        Argon2::default()
            .hash_password(b"decoy password, never valid")
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

impl Users {
    /// Parses the file's text; blank lines and `#` comments are skipped.
    pub fn parse(text: &str) -> Result<Users, UsersError> {
        let mut by_name = HashMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let raw = raw.trim();
            if raw.is_empty() || raw.starts_with('#') {
                continue;
            }
            let mut parts = raw.splitn(3, ':');
            let (Some(name), Some(role), Some(hash)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(UsersError::Shape { line });
            };
            if !valid_name(name) {
                return Err(UsersError::Name { line });
            }
            let role = Role::parse(role).ok_or(UsersError::Role { line })?;
            match PasswordHash::new(hash) {
                Ok(h) if h.algorithm.as_str() == ARGON2ID_IDENT.as_str() => {}
                _ => return Err(UsersError::Hash { line }),
            }
            let user = User {
                name: name.to_string(),
                role,
                hash: hash.to_string(),
            };
            if by_name.insert(name.to_string(), user).is_some() {
                return Err(UsersError::Duplicate {
                    line,
                    name: name.to_string(),
                });
            }
        }
        Ok(Users { by_name })
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&User> {
        self.by_name.get(name)
    }

    /// The user, when the password is theirs. Takes as long for an unknown name.
    pub fn authenticate(&self, name: &str, password: &str) -> Option<&User> {
        let user = self.by_name.get(name);
        let hash: &str = match user {
            Some(u) => &u.hash,
            None => decoy_hash(),
        };
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), hash)
            .is_ok();
        user.filter(|_| ok)
    }
}

/// The line for the users file: `name:role:argon2id-hash` (a fresh random salt).
pub fn user_line(name: &str, role: Role, password: &str) -> Result<String, UsersError> {
    if !valid_name(name) {
        return Err(UsersError::Name { line: 0 });
    }
    if password.chars().count() < 12 {
        return Err(UsersError::ShortPassword);
    }
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| UsersError::Hashing(e.to_string()))?;
    Ok(format!("{name}:{}:{hash}", role.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_made_line_parses_and_authenticates_only_its_password() {
        let line = user_line("sari", Role::Operator, "kata-sandi-panjang").unwrap();
        assert!(line.starts_with("sari:operator:$argon2id$"));
        let users = Users::parse(&format!("# ops\n\n{line}\n")).unwrap();
        assert_eq!(
            users
                .authenticate("sari", "kata-sandi-panjang")
                .map(|u| u.role),
            Some(Role::Operator)
        );
        assert!(users.authenticate("sari", "salah-kata-sandi").is_none());
        assert!(users.authenticate("budi", "kata-sandi-panjang").is_none());
    }

    #[test]
    fn bad_lines_are_refused_with_their_number() {
        let good = user_line("a", Role::Viewer, "kata-sandi-panjang").unwrap();
        assert_eq!(Users::parse("nocolons"), Err(UsersError::Shape { line: 1 }));
        assert_eq!(
            Users::parse(&good.replace(":viewer:", ":admin:")),
            Err(UsersError::Role { line: 1 })
        );
        assert_eq!(
            Users::parse("a:viewer:$2b$12$abcdefghijklmnopqrstuv"),
            Err(UsersError::Hash { line: 1 })
        );
        assert!(matches!(
            Users::parse(&format!("{good}\n{good}")),
            Err(UsersError::Duplicate { line: 2, .. })
        ));
        assert_eq!(
            user_line("a", Role::Viewer, "short"),
            Err(UsersError::ShortPassword)
        );
    }
}
