//! Playbook (in progress).
