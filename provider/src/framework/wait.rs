//! Waiting for an AWS object to reach a state (available, deleted, running…), shaped like
//! terraform-provider-aws's `StateChangeConf`: poll, accept pending states, stop at a target, fail on anything
//! else, on the timeout, or when Terraform asks the provider to stop.

use std::future::Future;
use std::time::Duration;

use super::diagnostics::Diagnostic;
use super::parts::PartResult;
use super::traits::Context;

/// What to wait for.
#[derive(Debug, Clone)]
pub struct Waiter {
    /// Names the object in errors ("VPC endpoint vpce-1 (kms)").
    pub what: String,
    /// States that mean "not yet".
    pub pending: &'static [&'static str],
    /// States that mean "done". Empty: done when the object is gone.
    pub target: &'static [&'static str],
    pub timeout: Duration,
    /// Delay between polls (the first poll is immediate).
    pub every: Duration,
}

impl Waiter {
    pub fn new(
        what: impl Into<String>,
        pending: &'static [&'static str],
        target: &'static [&'static str],
    ) -> Waiter {
        Waiter {
            what: what.into(),
            pending,
            target,
            timeout: Duration::from_secs(600),
            every: Duration::from_secs(2),
        }
    }

    /// Polls `status` until it reports a target state (`None` = gone, the target when `target` is empty).
    /// States compare case-insensitively (EC2 reports some in lowercase, the SDK enums in their own case).
    pub async fn wait<D, T, F, Fut>(&self, ctx: &Context<D>, mut status: F) -> PartResult<Option<T>>
    where
        F: FnMut() -> Fut + Send,
        Fut: Future<Output = PartResult<Option<(T, String)>>> + Send,
        T: Send,
    {
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut last = String::from("(not yet read)");
        loop {
            match status().await? {
                None if self.target.is_empty() => return Ok(None),
                None => {
                    return Err(Diagnostic::error(
                        format!("{} disappeared", self.what),
                        format!(
                            "While waiting for it to become {}, AWS stopped reporting it (last state: {last}).",
                            self.target.join(" or ")
                        ),
                    ));
                }
                Some((value, state)) => {
                    if self.target.iter().any(|t| t.eq_ignore_ascii_case(&state)) {
                        return Ok(Some(value));
                    }
                    if !self.pending.iter().any(|p| p.eq_ignore_ascii_case(&state)) {
                        return Err(Diagnostic::error(
                            format!("{} is {state}", self.what),
                            format!(
                                "Expected it to become {} (passing through {}), but AWS reports {state}.",
                                if self.target.is_empty() {
                                    "gone".to_string()
                                } else {
                                    self.target.join(" or ")
                                },
                                self.pending.join(", ")
                            ),
                        ));
                    }
                    last = state;
                }
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(Diagnostic::error(
                    format!("Timed out waiting for {}", self.what),
                    format!("It was still {last} after {:?}.", self.timeout),
                ));
            }
            let pause = self.every.min(deadline - now);
            tokio::select! {
                () = ctx.cancel.cancelled() => {
                    return Err(Diagnostic::error(
                        format!("Interrupted while waiting for {}", self.what),
                        format!("Terraform asked the provider to stop; it was {last}."),
                    ));
                }
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}
