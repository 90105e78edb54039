//! ## What it does
//! Reports inline suppressions that do not work as written:
//!
//! - no `reason="…"` (a reason is mandatory);
//! - an `expires=YYYY-MM-DD` date in the past, or not a date;
//! - a rule id that does not exist;
//! - a rule that cannot be suppressed (SOV011 itself).
//!
//! An invalid suppression does not suppress anything: the finding it meant to hide is reported too.
//!
//! How it works: suppressions are comments, so this rule is reported by the suppression pass that
//! reads the source files (with `--no-inline-ignores`, no comment is read and none is reported); the
//! rule inspects nothing in the evaluated model.
//!
//! ## Why is this bad?
//! A suppression without a reason cannot be reviewed, and one past its expiry date was meant to be
//! gone: both silently turn a residency control off.
//!
//! ## Example
//! ```hcl
//! # sovereign:ignore SOV005
//! resource "aws_nat_gateway" "egress" {
//!   subnet_id = aws_subnet.public.id
//! }
//! ```
//!
//! ## Use instead
//! ```hcl
//! # sovereign:ignore SOV005 reason="egress via inspected proxy, ticket SEC-42" expires=2027-03-31
//! resource "aws_nat_gateway" "egress" {
//!   subnet_id = aws_subnet.public.id
//! }
//! ```
//!
//! ## Options
//! - `--no-inline-ignores` ignores every suppression comment.
//! - `[rules] SOV011 = "warn"` lowers the severity.
use super::{Rule, RuleContext, RuleInfo, docs};
use crate::finding::{Finding, Severity};

pub(crate) static INFO: RuleInfo = RuleInfo {
    id: "SOV011",
    name: "invalid-suppression",
    summary: "an inline suppression without a reason, past its expiry date, naming an unknown rule, or suppressing an unsuppressible rule",
    docs: docs::SOV011,
    default_severity: Severity::Error,
};

pub(crate) struct InvalidSuppression;

impl Rule for InvalidSuppression {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    /// Reported by the suppression pass (see [`super::sov011_finding`]).
    fn check(&self, _cx: &RuleContext<'_>, _out: &mut Vec<Finding>) {}
}
