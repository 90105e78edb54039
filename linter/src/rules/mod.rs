//! The rules SOV001–SOV011, one file each, and the registry that runs them.
