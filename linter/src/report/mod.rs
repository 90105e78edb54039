//! Reporters: human, SARIF 2.1.0, JSON, JUnit, GitHub annotations and compact.
