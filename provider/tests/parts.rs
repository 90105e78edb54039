//! The resource layer without AWS: fake parts that log their calls and fail where told, to check the order of
//! create, rollback, update, prune and delete; keyed parts (concurrency, recording after every step, plan);
//! and the waiter.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sovereign_provider::framework::{
    Applied, Context, Diagnostic, Keyed, KeyedPart, Part, PartResult, Parts, Presence,
    ProviderData, Value, Waiter, async_trait,
};
use tokio_util::sync::CancellationToken;

struct Fake;
impl ProviderData for Fake {}

fn ctx() -> Context<Fake> {
    Context {
        provider: Arc::new(Fake),
        cancel: CancellationToken::new(),
    }
}

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, entry: String) {
        self.0.lock().unwrap().push(entry);
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// Where a fake step fails.
#[derive(Clone, Copy, Default)]
struct Fails {
    apply: bool,
    roll_back: bool,
    remove: bool,
    gone: bool,
}

/// A part that makes one object, recorded as `{name}_id`.
struct Step {
    name: &'static str,
    log: Log,
    fails: Fails,
}

fn id_attr(name: &str) -> String {
    format!("{name}_id")
}

#[async_trait]
impl Part<Fake> for Step {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn apply(
        &self,
        _ctx: &Context<Fake>,
        _planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        self.log.push(format!("apply {}", self.name));
        if self.fails.apply {
            return Err(Diagnostic::error(
                format!("{} failed", self.name),
                "AWS said no.",
            ));
        }
        let made = if prior.is_some() { "new" } else { "made" };
        state.set_attr(
            id_attr(self.name),
            Value::from(format!("{made}-{}", self.name)),
        );
        Ok(())
    }

    async fn prune(
        &self,
        _ctx: &Context<Fake>,
        _planned: &Value,
        _state: &mut Value,
    ) -> PartResult {
        self.log.push(format!("prune {}", self.name));
        Ok(())
    }

    async fn read(&self, _ctx: &Context<Fake>, state: &mut Value) -> PartResult<Presence> {
        self.log.push(format!("read {}", self.name));
        if self.fails.gone {
            state.set_attr(id_attr(self.name), Value::Null);
            return Ok(Presence::Gone);
        }
        Ok(Presence::Present)
    }

    async fn remove(&self, _ctx: &Context<Fake>, _state: &Value) -> PartResult {
        self.log.push(format!("remove {}", self.name));
        if self.fails.remove {
            return Err(Diagnostic::error(format!("{} stuck", self.name), "In use."));
        }
        Ok(())
    }

    async fn roll_back(&self, _ctx: &Context<Fake>, state: &Value) -> PartResult<Option<String>> {
        self.log.push(format!("roll_back {}", self.name));
        if self.fails.roll_back {
            return Err(Diagnostic::error(format!("{} stuck", self.name), "In use."));
        }
        // Undo only what the state records as made.
        Ok(state
            .get_str(&id_attr(self.name))
            .map(|id| format!("{id} was removed.")))
    }
}

const NAMES: [&str; 4] = ["s0", "s1", "s2", "s3"];

/// Four steps; `fails(i)` says how step i fails.
fn steps(log: &Log, fails: impl Fn(usize) -> Fails) -> Parts<Fake> {
    let step = |i: usize| Step {
        name: NAMES[i],
        log: log.clone(),
        fails: fails(i),
    };
    Parts::new(step(0))
        .then(step(1))
        .then(step(2))
        .then(step(3))
}

/// A planned value: every id unknown.
fn planned() -> Value {
    Value::object(
        NAMES
            .iter()
            .map(|n| (id_attr(n), Value::Unknown))
            .chain([("input".to_string(), Value::from("x"))]),
    )
}

/// A prior state: every id made earlier.
fn prior() -> Value {
    Value::object(
        NAMES
            .iter()
            .map(|n| (id_attr(n), Value::from(format!("old-{n}"))))
            .chain([("input".to_string(), Value::from("w"))]),
    )
}

fn apply_fails_at(k: usize) -> impl Fn(usize) -> Fails {
    move |i| Fails {
        apply: i == k,
        ..Fails::default()
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}

#[tokio::test]
async fn create_applies_every_part_in_order() {
    let log = Log::default();
    let Applied::Done(state) = steps(&log, |_| Fails::default())
        .create(&ctx(), &planned())
        .await
    else {
        panic!("create failed");
    };
    assert_eq!(
        log.take(),
        strings(&["apply s0", "apply s1", "apply s2", "apply s3"])
    );
    assert_eq!(state.get_str("s3_id"), Some("made-s3"));
    assert_eq!(state.get_str("input"), Some("x"));
}

#[tokio::test]
async fn a_failed_create_rolls_back_from_the_failing_step_to_the_root() {
    for k in 0..NAMES.len() {
        let log = Log::default();
        let result = steps(&log, apply_fails_at(k))
            .create(&ctx(), &planned())
            .await;
        let Applied::Failed { state, diagnostics } = result else {
            panic!("step {k} should fail");
        };
        assert!(state.is_none(), "rolled back: nothing to record");
        let mut expected: Vec<String> = (0..=k).map(|i| format!("apply s{i}")).collect();
        expected.extend((0..=k).rev().map(|i| format!("roll_back s{i}")));
        assert_eq!(log.take(), expected, "failing at step {k}");

        assert_eq!(diagnostics.len(), 1);
        let failure = diagnostics.iter().next().unwrap();
        assert_eq!(failure.summary, format!("s{k} failed"));
        assert!(
            failure.detail.contains(&format!("(while creating: s{k})")),
            "{}",
            failure.detail
        );
        // The note names what was rolled back, newest first; the failing step made nothing.
        let notes: Vec<String> = (0..k)
            .rev()
            .map(|i| format!("made-s{i} was removed."))
            .collect();
        if k > 0 {
            assert!(
                failure
                    .detail
                    .ends_with(&format!("\n\n{}", notes.join(" "))),
                "{}",
                failure.detail
            );
        }
        assert!(
            !failure.detail.contains(&format!("made-s{k}")),
            "{}",
            failure.detail
        );
    }
}

#[tokio::test]
async fn a_failed_rollback_returns_a_tainted_state_holding_the_ids_made() {
    let log = Log::default();
    let parts = steps(&log, |i| Fails {
        apply: i == 2,
        roll_back: i == 1,
        ..Fails::default()
    });
    let Applied::Failed { state, diagnostics } = parts.create(&ctx(), &planned()).await else {
        panic!("create should fail");
    };
    assert_eq!(
        log.take(),
        strings(&[
            "apply s0",
            "apply s1",
            "apply s2",
            "roll_back s2",
            "roll_back s1"
        ]),
        "the rollback stops where it failed"
    );
    let state = state.expect("a state for Terraform to record as tainted");
    assert_eq!(state.get_str("s0_id"), Some("made-s0"));
    assert_eq!(state.get_str("s1_id"), Some("made-s1"));
    assert!(state.attr("s2_id").is_null(), "unknown ids settle to null");
    assert!(state.attr("s3_id").is_null());
    let all: Vec<&Diagnostic> = diagnostics.iter().collect();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].summary, "s2 failed");
    assert_eq!(all[1].summary, "s1 stuck");
    assert!(all[1].detail.contains("tainted"), "{}", all[1].detail);
    assert!(
        all[1].detail.contains("stopped at the s1"),
        "{}",
        all[1].detail
    );
}

#[tokio::test]
async fn update_applies_in_order_then_prunes_in_reverse() {
    let log = Log::default();
    let parts = steps(&log, |_| Fails::default());
    let Applied::Done(state) = parts.update(&ctx(), &prior(), &planned()).await else {
        panic!("update failed");
    };
    assert_eq!(
        log.take(),
        strings(&[
            "apply s0", "apply s1", "apply s2", "apply s3", "prune s3", "prune s2", "prune s1",
            "prune s0",
        ])
    );
    assert_eq!(state.get_str("s2_id"), Some("new-s2"));
}

#[tokio::test]
async fn a_failed_update_keeps_the_progress_made() {
    let log = Log::default();
    let parts = steps(&log, apply_fails_at(2));
    let Applied::Failed { state, diagnostics } = parts.update(&ctx(), &prior(), &planned()).await
    else {
        panic!("update should fail");
    };
    assert_eq!(
        log.take(),
        strings(&["apply s0", "apply s1", "apply s2"]),
        "no prune, no rollback"
    );
    let state = state.expect("progress is returned as state");
    assert_eq!(
        state.get_str("s0_id"),
        Some("new-s0"),
        "completed steps' outputs"
    );
    assert_eq!(state.get_str("s1_id"), Some("new-s1"));
    assert_eq!(
        state.get_str("s2_id"),
        Some("old-s2"),
        "not reached: the prior value"
    );
    assert_eq!(state.get_str("s3_id"), Some("old-s3"));
    let failure = diagnostics.iter().next().unwrap();
    assert!(
        failure.detail.contains("while updating: s2"),
        "{}",
        failure.detail
    );
}

#[tokio::test]
async fn delete_runs_in_reverse_and_stops_at_the_first_failure() {
    let log = Log::default();
    steps(&log, |_| Fails::default())
        .delete(&ctx(), &prior())
        .await
        .expect("delete");
    assert_eq!(
        log.take(),
        strings(&["remove s3", "remove s2", "remove s1", "remove s0"])
    );

    let parts = steps(&log, |i| Fails {
        remove: i == 2,
        ..Fails::default()
    });
    let failure = parts.delete(&ctx(), &prior()).await.expect_err("s2 fails");
    assert_eq!(log.take(), strings(&["remove s3", "remove s2"]));
    assert_eq!(failure.summary, "s2 stuck");
    assert!(
        failure.detail.contains("while destroying: s2"),
        "{}",
        failure.detail
    );
}

#[tokio::test]
async fn read_is_gone_only_when_the_root_is() {
    let log = Log::default();
    let gone_at = |k: usize| {
        move |i: usize| Fails {
            gone: i == k,
            ..Fails::default()
        }
    };
    let read = steps(&log, gone_at(0))
        .read(&ctx(), &prior())
        .await
        .expect("read");
    assert!(read.is_none(), "root gone: the resource is gone");
    assert_eq!(log.take(), strings(&["read s0"]));

    let read = steps(&log, gone_at(2))
        .read(&ctx(), &prior())
        .await
        .expect("read");
    let read = read.expect("a part gone is drift, not a gone resource");
    assert!(read.attr("s2_id").is_null());
    assert_eq!(log.take().len(), 4);
}

// ------------------------------------------------------------------------------------------------ keyed parts

/// Objects keyed by name, `want` read from the planned `want` map, recorded into `have`; "AWS" is `existing`.
/// Each call takes a little time so concurrent calls overlap; `fail` names a key whose create/delete fails.
#[derive(Clone, Default)]
struct Slots<const N: usize> {
    log: Log,
    existing: Arc<Mutex<BTreeMap<String, String>>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    fail: Option<&'static str>,
}

impl<const N: usize> Slots<N> {
    async fn call(&self, what: &str, key: &str) -> PartResult {
        self.log.push(format!("{what} {key}"));
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if self.fail == Some(key) {
            return Err(Diagnostic::error(
                format!("{what} failed"),
                "Quota exceeded.",
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl<const N: usize> KeyedPart<Fake> for Slots<N> {
    type Key = String;
    type Want = String;
    type Have = String;
    const CONCURRENCY: usize = N;

    fn name(&self) -> &'static str {
        "slots"
    }
    fn want(&self, planned: &Value, _made: &Value) -> Option<BTreeMap<String, String>> {
        planned.attr("want").as_string_map()
    }
    fn recorded(&self, state: &Value) -> BTreeMap<String, String> {
        state.attr("have").as_string_map().unwrap_or_default()
    }
    async fn list(
        &self,
        _ctx: &Context<Fake>,
        _state: &Value,
    ) -> PartResult<BTreeMap<String, String>> {
        Ok(self.existing.lock().unwrap().clone())
    }
    fn up_to_date(&self, want: &String, have: &String) -> bool {
        want == have
    }
    async fn create(
        &self,
        _ctx: &Context<Fake>,
        _state: &Value,
        key: &String,
        want: &String,
    ) -> PartResult<String> {
        self.call("create", key).await?;
        self.existing
            .lock()
            .unwrap()
            .insert(key.clone(), want.clone());
        Ok(want.clone())
    }
    async fn delete(&self, _ctx: &Context<Fake>, key: &String, _have: &String) -> PartResult {
        self.call("delete", key).await?;
        self.existing.lock().unwrap().remove(key);
        Ok(())
    }
    fn record(&self, state: &mut Value, have: &BTreeMap<String, String>) {
        state.set_attr("have", Value::string_map(have.clone()));
    }
    fn unknown_outputs(&self, planned: &mut Value) {
        planned.set_attr("have", Value::Unknown);
    }
}

fn keyed_state(want: &[(&str, &str)], have: Option<&[(&str, &str)]>) -> Value {
    Value::object([
        ("want", Value::string_map(want.iter().copied())),
        (
            "have",
            have.map_or(Value::Unknown, |h| Value::string_map(h.iter().copied())),
        ),
    ])
}

fn slot_keys(n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| (format!("k{i}"), "v1".to_string()))
        .collect()
}

#[tokio::test]
async fn keyed_creates_respect_concurrency() {
    for concurrency in [1usize, 3] {
        let want = slot_keys(6);
        let want: Vec<(&str, &str)> = want.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let planned = keyed_state(&want, None);
        let (log, max) = if concurrency == 1 {
            let part = Slots::<1>::default();
            let parts = Parts::new(Keyed(part.clone()));
            assert!(matches!(
                parts.create(&ctx(), &planned).await,
                Applied::Done(_)
            ));
            (part.log, part.max_in_flight)
        } else {
            let part = Slots::<3>::default();
            let parts = Parts::new(Keyed(part.clone()));
            let Applied::Done(state) = parts.create(&ctx(), &planned).await else {
                panic!("create failed");
            };
            assert_eq!(state.attr("have"), planned.attr("want"));
            (part.log, part.max_in_flight)
        };
        assert_eq!(log.take().len(), 6);
        assert_eq!(
            max.load(Ordering::SeqCst),
            concurrency,
            "at most CONCURRENCY calls at once"
        );
    }
}

#[tokio::test]
async fn keyed_records_after_every_step_and_stops_starting_work_after_a_failure() {
    let part = Slots::<1> {
        fail: Some("c"),
        ..Slots::default()
    };
    let planned = keyed_state(&[("a", "1"), ("b", "1"), ("c", "1"), ("d", "1")], None);
    let keyed = Keyed(part.clone());
    let mut state = planned.clone();
    let failure = keyed
        .apply(&ctx(), &planned, None, &mut state)
        .await
        .expect_err("c fails");
    assert_eq!(
        part.log.take(),
        strings(&["create a", "create b", "create c"])
    );
    assert_eq!(
        state.attr("have"),
        &Value::string_map([("a", "1"), ("b", "1")]),
        "what was made before the failure is recorded"
    );
    assert!(failure.detail.contains("(slots: c)"), "{}", failure.detail);

    // The same inside a resource: the rollback deletes exactly what was recorded, then the root.
    let log = Log::default();
    let part = Slots::<1> {
        fail: Some("c"),
        log: log.clone(),
        ..Slots::default()
    };
    let root = Step {
        name: "s0",
        log: log.clone(),
        fails: Fails::default(),
    };
    let parts = Parts::new(root).then(Keyed(part.clone()));
    let Applied::Failed { state, .. } = parts.create(&ctx(), &planned).await else {
        panic!("create should fail");
    };
    assert!(state.is_none());
    assert_eq!(
        log.take(),
        strings(&[
            "apply s0",
            "create a",
            "create b",
            "create c",
            "delete a",
            "delete b",
            "roll_back s0"
        ])
    );
    assert!(
        part.existing.lock().unwrap().is_empty(),
        "nothing left behind"
    );
}

#[tokio::test]
async fn keyed_updates_create_change_and_delete_per_key() {
    let part = Slots::<2>::default();
    *part.existing.lock().unwrap() = [("a", "1"), ("b", "1"), ("c", "1")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let prior = keyed_state(
        &[("a", "1"), ("b", "1"), ("c", "1")],
        Some(&[("a", "1"), ("b", "1"), ("c", "1")]),
    );
    let planned = keyed_state(&[("a", "1"), ("b", "2"), ("d", "1")], None);
    let parts = Parts::new(Keyed(part.clone()));
    let Applied::Done(state) = parts.update(&ctx(), &prior, &planned).await else {
        panic!("update failed");
    };
    // b is replaced (the default update), d created on apply; c deleted when pruning, after every apply.
    assert_eq!(
        part.log.take(),
        strings(&["delete b", "create b", "create d", "delete c"])
    );
    let expected = Value::string_map([("a", "1"), ("b", "2"), ("d", "1")]);
    assert_eq!(state.attr("have"), &expected);
    assert_eq!(
        *part.existing.lock().unwrap(),
        expected.as_string_map().unwrap(),
        "AWS matches the plan"
    );

    // Destroy deletes every recorded key, CONCURRENCY at a time.
    parts.delete(&ctx(), &state).await.expect("delete");
    let mut deleted = part.log.take();
    deleted.sort();
    assert_eq!(deleted, strings(&["delete a", "delete b", "delete d"]));
    assert_eq!(part.max_in_flight.load(Ordering::SeqCst), 2);
    assert!(part.existing.lock().unwrap().is_empty());
}

#[tokio::test]
async fn keyed_plan_makes_outputs_unknown_only_when_recorded_differs_from_wanted() {
    let keyed = Keyed(Slots::<1>::default());
    let prior = keyed_state(&[("a", "1")], Some(&[("a", "1")]));

    let mut planned = prior.clone();
    Part::<Fake>::plan(&keyed, Some(&prior), &mut planned);
    assert_eq!(
        planned.attr("have"),
        &Value::string_map([("a", "1")]),
        "in sync: no change"
    );

    for want in [&[("a", "2")][..], &[("a", "1"), ("b", "1")][..], &[][..]] {
        let mut planned = keyed_state(want, Some(&[("a", "1")]));
        Part::<Fake>::plan(&keyed, Some(&prior), &mut planned);
        assert!(planned.attr("have").is_unknown(), "{want:?}");
    }

    // Drift: an object deleted outside Terraform is missing from what read recorded.
    let drifted = keyed_state(&[("a", "1")], Some(&[]));
    let mut planned = drifted.clone();
    Part::<Fake>::plan(&keyed, Some(&drifted), &mut planned);
    assert!(planned.attr("have").is_unknown());

    // Create: outputs unknown.
    let mut planned = keyed_state(&[("a", "1")], None);
    Part::<Fake>::plan(&keyed, None, &mut planned);
    assert!(planned.attr("have").is_unknown());
}

// ------------------------------------------------------------------------------------------------ waiter

fn waiter(pending: &'static [&'static str], target: &'static [&'static str]) -> Waiter {
    Waiter {
        timeout: Duration::from_secs(5),
        every: Duration::from_millis(1),
        ..Waiter::new("endpoint vpce-1", pending, target)
    }
}

/// What a waiter polls: the value and state AWS reports, `None` when the object is gone.
type Status = Box<dyn FnMut() -> std::future::Ready<PartResult<Option<(usize, String)>>> + Send>;

/// A status function reporting `states` in turn (`None`: gone), then the last one forever.
fn reports(states: &'static [Option<&'static str>]) -> (Arc<AtomicUsize>, Status) {
    let polls = Arc::new(AtomicUsize::new(0));
    let counter = polls.clone();
    let status = move || {
        let i = counter.fetch_add(1, Ordering::SeqCst);
        let state = states[i.min(states.len() - 1)];
        std::future::ready(Ok(state.map(|s| (i, s.to_string()))))
    };
    (polls, Box::new(status))
}

#[tokio::test]
async fn waiter_polls_pending_states_until_the_target() {
    let (polls, status) = reports(&[Some("pending"), Some("Pending"), Some("available")]);
    let got = waiter(&["pending"], &["available"])
        .wait(&ctx(), status)
        .await
        .expect("available");
    assert_eq!(got, Some(2), "the value reported with the target state");
    assert_eq!(polls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn waiter_refuses_an_unexpected_state() {
    let (_, status) = reports(&[Some("pending"), Some("failed")]);
    let err = waiter(&["pending"], &["available"])
        .wait(&ctx(), status)
        .await
        .expect_err("failed");
    assert_eq!(err.summary, "endpoint vpce-1 is failed");
    assert!(
        err.detail.contains("Expected it to become available"),
        "{}",
        err.detail
    );
}

#[tokio::test]
async fn waiter_for_deletion_ends_when_the_object_is_gone() {
    let (polls, status) = reports(&[Some("deleting"), Some("deleting"), None]);
    let got = waiter(&["deleting"], &[])
        .wait(&ctx(), status)
        .await
        .expect("gone");
    assert_eq!(got, None);
    assert_eq!(polls.load(Ordering::SeqCst), 3);

    let (_, status) = reports(&[Some("pending"), None]);
    let err = waiter(&["pending"], &["available"])
        .wait(&ctx(), status)
        .await
        .expect_err("gone");
    assert_eq!(err.summary, "endpoint vpce-1 disappeared");
    assert!(err.detail.contains("last state: pending"), "{}", err.detail);
}

#[tokio::test]
async fn waiter_stops_on_cancellation_and_on_the_timeout() {
    let ctx = ctx();
    let slow = Waiter {
        every: Duration::from_secs(3600),
        timeout: Duration::from_secs(7200),
        ..waiter(&["pending"], &["available"])
    };
    let cancel = ctx.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        cancel.cancel();
    });
    let (_, status) = reports(&[Some("pending")]);
    let err = tokio::time::timeout(Duration::from_secs(5), slow.wait(&ctx, status))
        .await
        .expect("cancellation ends the wait at once")
        .expect_err("cancelled");
    assert_eq!(err.summary, "Interrupted while waiting for endpoint vpce-1");

    let short = Waiter {
        timeout: Duration::from_millis(30),
        ..waiter(&["pending"], &["available"])
    };
    let (_, status) = reports(&[Some("pending")]);
    let err = short
        .wait(&self::ctx(), status)
        .await
        .expect_err("timed out");
    assert_eq!(err.summary, "Timed out waiting for endpoint vpce-1");
    assert!(err.detail.contains("still pending"), "{}", err.detail);
}
