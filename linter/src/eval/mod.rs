//! Evaluation of parsed modules into resource instances whose values keep their provenance.
