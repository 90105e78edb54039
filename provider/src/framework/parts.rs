//! A managed resource as an ordered list of parts — the AWS objects (or settings) it owns, root first.
//!
//! Written once here, for every resource:
//! - **create** applies the parts in order; when step k fails, steps k..0 are rolled back in reverse and the
//!   failing diagnostic says what was rolled back. When a rollback fails too, the progress made so far is returned
//!   as state: Terraform records a tainted object whose ids are known, and `terraform destroy` removes it.
//! - **update** applies the parts in order (adding and changing), then prunes in reverse order (removing what is
//!   no longer wanted: an endpoint is moved off a subnet before the subnet is deleted). On failure the state holds
//!   every completed step, so the ids of what was already made are never lost.
//! - **read** reads the root (gone → the resource is gone, Terraform plans a re-create) and then every part.
//! - **delete** removes the parts in reverse order and stops at the first failure.
//! - **plan** lets each part turn drift it recorded at read into a planned change (outputs unknown, guardrails
//!   wanted `true`), so apply repairs it.
//!
//! [`KeyedPart`] is a part made of like objects keyed by name (subnets by zone, endpoints by service, instances
//! by slot); [`Keyed`] turns it into a [`Part`] that diffs, runs with bounded concurrency and records the set in
//! state after every finished step.
//!
//! Parts work on the resource's [`Value`] (the schema's object), so the schema stays the one definition of the
//! attributes: a part reads the planned arguments it needs and writes ids and computed values as soon as they exist.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use futures::StreamExt;

use super::diagnostics::{Diagnostic, Diagnostics};
use super::traits::{Context, ProviderData};
use super::value::Value;

/// What a step of a part returns.
pub type PartResult<T = ()> = Result<T, Diagnostic>;

/// Whether the object a part reads exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Present,
    Gone,
}

/// One AWS object (or one setting of the root object) of a resource.
#[async_trait]
pub trait Part<D: ProviderData>: Send + Sync {
    /// Names the step in errors and rollback notes ("subnets", "public access block").
    fn name(&self) -> &'static str;

    /// Plan time, after the schema's rules: turn what `prior` (the refreshed state) recorded into a visible change
    /// when it differs from what `planned` wants (e.g. plan this part's outputs unknown).
    fn plan(&self, _prior: Option<&Value>, _planned: &mut Value) {}

    /// Makes AWS match `planned` (adding and changing; removals of keyed objects wait for [`Part::prune`]).
    /// Writes ids and computed values into `state` as soon as they exist. `prior` is `None` on create.
    async fn apply(
        &self,
        ctx: &Context<D>,
        planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult;

    /// After every part applied (in reverse order): removes what `planned` no longer wants.
    async fn prune(&self, _ctx: &Context<D>, _planned: &Value, _state: &mut Value) -> PartResult {
        Ok(())
    }

    /// Reads what AWS has into `state`. `Gone` from the root means the whole resource is gone; from any other
    /// part it is recorded drift.
    async fn read(&self, ctx: &Context<D>, state: &mut Value) -> PartResult<Presence>;

    /// Removes the part's objects (destroy). Already gone is success. The default removes nothing: a setting
    /// of the root object (a bucket's versioning, a key's rotation) goes with the root.
    async fn remove(&self, _ctx: &Context<D>, _state: &Value) -> PartResult {
        Ok(())
    }

    /// When this part fails during a create having made something (`state` holds what it recorded), keep it
    /// (saved as a tainted object) instead of rolling the create back: for parts whose objects are costly to
    /// lose (capacity-constrained GPU instances).
    fn keeps_progress(&self, _state: &Value) -> bool {
        false
    }

    /// Undoes a create that failed at this or a later step; returns a sentence for the user when it removed
    /// something (default: [`Part::remove`], silently). It is called for the failing step too, so it must undo
    /// only what `state` records as made: an id that the planned value already knew (a bucket's name) says
    /// nothing about whether this create made the object.
    async fn roll_back(&self, ctx: &Context<D>, state: &Value) -> PartResult<Option<String>> {
        self.remove(ctx, state).await.map(|()| None)
    }
}

/// The result of a create or update.
#[derive(Debug)]
pub enum Applied {
    /// Everything applied: the new state.
    Done(Value),
    /// A step failed. `state` is what Terraform should record (`None`: nothing exists any more).
    Failed {
        state: Option<Value>,
        diagnostics: Diagnostics,
    },
}

impl Applied {
    /// Splits into what the protocol layer returns: the state and the diagnostics.
    pub fn into_parts(self) -> (Option<Value>, Diagnostics) {
        match self {
            Applied::Done(v) => (Some(v), Diagnostics::new()),
            Applied::Failed { state, diagnostics } => (state, diagnostics),
        }
    }
}

/// The ordered parts of a resource; `steps[0]` is the root object.
pub struct Parts<D> {
    steps: Vec<Box<dyn Part<D>>>,
}

impl<D: ProviderData> Parts<D> {
    pub fn new(root: impl Part<D> + 'static) -> Parts<D> {
        Parts {
            steps: vec![Box::new(root)],
        }
    }

    #[must_use]
    pub fn then(mut self, part: impl Part<D> + 'static) -> Parts<D> {
        self.steps.push(Box::new(part));
        self
    }

    /// Calls [`Part::plan`] on every part.
    pub fn plan(&self, prior: Option<&Value>, planned: &mut Value) {
        for part in &self.steps {
            part.plan(prior, planned);
        }
    }

    /// Applies every part in order. On failure rolls back in reverse (see the module doc).
    pub async fn create(&self, ctx: &Context<D>, planned: &Value) -> Applied {
        let mut state = planned.clone();
        for (k, part) in self.steps.iter().enumerate() {
            let Err(mut failure) = part.apply(ctx, planned, None, &mut state).await else {
                continue;
            };
            failure
                .detail
                .push_str(&format!(" (while creating: {})", part.name()));
            let mut diagnostics = Diagnostics::new();
            if part.keeps_progress(&state) {
                // What this part made is worth keeping (running GPU instances after a capacity error): no
                // rollback, the progress is saved (Terraform marks it tainted).
                failure.detail.push_str(
                    "\n\nWhat was made before the failure is saved in state, so nothing is leaked. Terraform marks \
                     the resource tainted: `terraform untaint ADDRESS` keeps it and the next apply adds what is \
                     missing; otherwise the next apply replaces it.",
                );
                diagnostics.push(failure);
                return Applied::Failed {
                    state: Some(settle(state, None)),
                    diagnostics,
                };
            }
            let mut notes = Vec::new();
            for undo in self.steps[..=k].iter().rev() {
                match undo.roll_back(ctx, &state).await {
                    Ok(Some(note)) => notes.push(note),
                    Ok(None) => {}
                    Err(mut rollback_failure) => {
                        rollback_failure.detail.push_str(&format!(
                            "\n\nRolling back the failed create stopped at the {}: what was made is saved as a tainted \
                             object, and `terraform destroy` (or the next apply, which replaces it) removes it.",
                            undo.name()
                        ));
                        append_notes(&mut failure, &notes);
                        diagnostics.push(failure);
                        diagnostics.push(rollback_failure);
                        return Applied::Failed {
                            state: Some(settle(state, None)),
                            diagnostics,
                        };
                    }
                }
            }
            append_notes(&mut failure, &notes);
            diagnostics.push(failure);
            return Applied::Failed {
                state: None,
                diagnostics,
            };
        }
        Applied::Done(state)
    }

    /// Applies every part in order, then prunes in reverse; on failure returns the progress (see the module doc).
    pub async fn update(&self, ctx: &Context<D>, prior: &Value, planned: &Value) -> Applied {
        let mut state = planned.clone();
        for part in &self.steps {
            if let Err(failure) = part.apply(ctx, planned, Some(prior), &mut state).await {
                return failed_update(part.name(), failure, state, prior);
            }
        }
        for part in self.steps.iter().rev() {
            if let Err(failure) = part.prune(ctx, planned, &mut state).await {
                return failed_update(part.name(), failure, state, prior);
            }
        }
        Applied::Done(state)
    }

    /// Reads the root, then every part. `Ok(None)`: the root is gone.
    pub async fn read(&self, ctx: &Context<D>, state: &Value) -> Result<Option<Value>, Diagnostic> {
        let mut new = state.clone();
        for (i, part) in self.steps.iter().enumerate() {
            if part.read(ctx, &mut new).await? == Presence::Gone && i == 0 {
                return Ok(None);
            }
        }
        Ok(Some(new))
    }

    /// Removes every part in reverse order; stops at the first failure so what remains stays in state.
    pub async fn delete(&self, ctx: &Context<D>, prior: &Value) -> Result<(), Diagnostic> {
        for part in self.steps.iter().rev() {
            part.remove(ctx, prior).await.map_err(|mut d| {
                d.detail.push_str(&format!(
                    " (while destroying: {}; the resource stays in state, run destroy again once the cause is fixed)",
                    part.name()
                ));
                d
            })?;
        }
        Ok(())
    }
}

fn append_notes(failure: &mut Diagnostic, notes: &[String]) {
    if !notes.is_empty() {
        failure.detail.push_str("\n\n");
        failure.detail.push_str(&notes.join(" "));
    }
}

fn failed_update(name: &str, mut failure: Diagnostic, state: Value, prior: &Value) -> Applied {
    failure.detail.push_str(&format!(
        " (while updating: {name}; the steps before it are applied and saved in state, apply again to finish)"
    ));
    let mut diagnostics = Diagnostics::new();
    diagnostics.push(failure);
    Applied::Failed {
        state: Some(settle(state, Some(prior))),
        diagnostics,
    }
}

/// A state Terraform can record after a failure: values still unknown take the prior value, else null.
pub fn settle(state: Value, prior: Option<&Value>) -> Value {
    match state {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let before = prior.map(|p| p.attr(&k));
                    let v = if v.is_unknown() {
                        before.cloned().unwrap_or(Value::Null)
                    } else {
                        v
                    };
                    (k, settle_inner(v))
                })
                .collect(),
        ),
        other => settle_inner(other),
    }
}

fn settle_inner(value: Value) -> Value {
    match value {
        Value::Unknown => Value::Null,
        Value::List(v) => Value::List(v.into_iter().map(settle_inner).collect()),
        Value::Set(v) => Value::Set(v.into_iter().map(settle_inner).collect()),
        Value::Tuple(v) => Value::Tuple(v.into_iter().map(settle_inner).collect()),
        Value::Map(m) => Value::Map(m.into_iter().map(|(k, v)| (k, settle_inner(v))).collect()),
        Value::Object(m) => {
            Value::Object(m.into_iter().map(|(k, v)| (k, settle_inner(v))).collect())
        }
        other => other,
    }
}

// ------------------------------------------------------------------------------------------------ keyed parts

/// A part made of like objects, keyed: subnets by zone, interface endpoints by service, instances by slot.
#[async_trait]
pub trait KeyedPart<D: ProviderData>: Send + Sync {
    type Key: Ord + Clone + fmt::Display + Send + Sync;
    /// What the plan asks for, per key.
    type Want: Clone + Send + Sync;
    /// What exists, per key (carries the AWS id).
    type Have: Clone + Send + Sync;

    /// How many creates (or deletes, or batches) may run at once.
    const CONCURRENCY: usize = 1;
    /// Outdated objects are replaced by deleting them and creating them again with the new ones (in batches),
    /// instead of one [`KeyedPart::update`] each.
    const REPLACE_BY_RECREATE: bool = false;
    /// See [`Part::keeps_progress`].
    const KEEP_PROGRESS: bool = false;
    /// Destroy removes every object [`KeyedPart::list`] finds, not only those recorded in state (objects made by
    /// an apply that failed before recording them).
    const REMOVE_LISTED: bool = false;

    fn name(&self) -> &'static str;
    /// What `planned` asks for; `None` while it cannot be known (unknown arguments). `made` holds the ids earlier
    /// parts made: the state being built at apply time, `planned` itself at plan time.
    fn want(&self, planned: &Value, made: &Value) -> Option<BTreeMap<Self::Key, Self::Want>>;
    /// What `state` recorded at the last read or apply (no AWS call).
    fn recorded(&self, state: &Value) -> BTreeMap<Self::Key, Self::Have>;
    /// What exists in AWS now.
    async fn list(
        &self,
        ctx: &Context<D>,
        state: &Value,
    ) -> PartResult<BTreeMap<Self::Key, Self::Have>>;
    fn up_to_date(&self, want: &Self::Want, have: &Self::Have) -> bool;
    async fn create(
        &self,
        ctx: &Context<D>,
        state: &Value,
        key: &Self::Key,
        want: &Self::Want,
    ) -> PartResult<Self::Have>;
    /// In-place change. The default replaces the object (delete, then create).
    async fn update(
        &self,
        ctx: &Context<D>,
        state: &Value,
        key: &Self::Key,
        want: &Self::Want,
        have: &Self::Have,
    ) -> PartResult<Self::Have> {
        self.delete(ctx, key, have).await?;
        self.create(ctx, state, key, want).await
    }
    async fn delete(&self, ctx: &Context<D>, key: &Self::Key, have: &Self::Have) -> PartResult;
    /// Deletes many at once (one AWS call for all, as TerminateInstances takes many ids) and returns each key's
    /// result; `None` (the default): [`KeyedPart::delete`] for each, `CONCURRENCY` at a time.
    async fn delete_batch(
        &self,
        _ctx: &Context<D>,
        _batch: &[(Self::Key, Self::Have)],
    ) -> Option<Vec<(Self::Key, PartResult)>> {
        None
    }
    /// Which batch a create belongs to: creates of one batch are made by one [`KeyedPart::create_batch`] call
    /// (instances of one subnet: one RunInstances). `None` (the default): each key alone.
    fn batch_of(&self, _key: &Self::Key, _want: &Self::Want) -> Option<String> {
        None
    }
    /// Creates a batch; returns what each key got. The default creates each key in turn.
    async fn create_batch(
        &self,
        ctx: &Context<D>,
        state: &Value,
        batch: Vec<(Self::Key, Self::Want)>,
    ) -> Vec<(Self::Key, PartResult<Self::Have>)> {
        let mut out = Vec::with_capacity(batch.len());
        for (key, want) in batch {
            let result = self.create(ctx, state, &key, &want).await;
            let failed = result.is_err();
            out.push((key, result));
            if failed {
                break;
            }
        }
        out
    }
    /// Writes the set's outputs into the state (ids, maps by key…), after every finished step.
    fn record(&self, state: &mut Value, have: &BTreeMap<Self::Key, Self::Have>);
    /// At read only, after [`KeyedPart::record`]: writes what exists into the arguments that name the set (e.g.
    /// the zones), so drift shows as a planned change and an import fills them.
    fn observe(&self, _state: &mut Value, _have: &BTreeMap<Self::Key, Self::Have>) {}
    /// Plans the recorded outputs unknown (used when what is recorded differs from what is wanted).
    fn unknown_outputs(&self, planned: &mut Value);
}

/// Every [`KeyedPart`] is a [`Part`]: it diffs `want` against `list`, creates and updates on apply, deletes on
/// prune, runs up to `CONCURRENCY` calls at once and records the set after every finished call.
pub struct Keyed<P>(pub P);

impl<P> Keyed<P> {
    /// Diffs wanted against existing: (keys to create, keys to update, keys to delete).
    pub fn diff<K: Ord + Clone, W, H>(
        want: &BTreeMap<K, W>,
        have: &BTreeMap<K, H>,
        up_to_date: impl Fn(&W, &H) -> bool,
    ) -> (Vec<K>, Vec<K>, Vec<K>) {
        let create = want
            .keys()
            .filter(|k| !have.contains_key(*k))
            .cloned()
            .collect();
        let update = want
            .iter()
            .filter(|(k, w)| have.get(*k).is_some_and(|h| !up_to_date(w, h)))
            .map(|(k, _)| k.clone())
            .collect();
        let delete = have
            .keys()
            .filter(|k| !want.contains_key(*k))
            .cloned()
            .collect();
        (create, update, delete)
    }
}

#[async_trait]
impl<D: ProviderData, P: KeyedPart<D>> Part<D> for Keyed<P> {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn keeps_progress(&self, state: &Value) -> bool {
        P::KEEP_PROGRESS && !self.0.recorded(state).is_empty()
    }

    fn plan(&self, prior: Option<&Value>, planned: &mut Value) {
        let Some(prior) = prior else {
            self.0.unknown_outputs(planned);
            return;
        };
        let Some(want) = self.0.want(planned, planned) else {
            self.0.unknown_outputs(planned);
            return;
        };
        let (create, update, delete) = Keyed::<P>::diff(&want, &self.0.recorded(prior), |w, h| {
            self.0.up_to_date(w, h)
        });
        if !(create.is_empty() && update.is_empty() && delete.is_empty()) {
            self.0.unknown_outputs(planned);
        }
    }

    async fn apply(
        &self,
        ctx: &Context<D>,
        planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        let part = &self.0;
        // What earlier parts made (ids) is in `state` by now; `planned` may still hold them unknown.
        let Some(want) = part.want(planned, state) else {
            return Err(Diagnostic::error(
                format!("Cannot apply the {}", part.name()),
                "Some of its arguments are still unknown at apply time. This is a bug in the provider.",
            ));
        };
        let mut have = match prior {
            Some(_) => part.list(ctx, state).await?,
            None => BTreeMap::new(),
        };
        part.record(state, &have);
        let (mut create, update, _) = Keyed::<P>::diff(&want, &have, |w, h| part.up_to_date(w, h));
        if P::REPLACE_BY_RECREATE {
            // Outdated objects go first, then come back with the new ones, in the same batches.
            self.delete_keys(ctx, state, &mut have, update.clone())
                .await?;
            create.extend(update);
            create.sort();
        } else {
            // Updates one at a time (they may replace).
            for key in update {
                let (Some(w), Some(h)) = (want.get(&key), have.get(&key).cloned()) else {
                    continue;
                };
                let snapshot = state.clone();
                let result = part.update(ctx, &snapshot, &key, w, &h).await;
                match result {
                    Ok(new) => {
                        have.insert(key, new);
                        part.record(state, &have);
                    }
                    Err(d) => return Err(keyed_failure(part.name(), &key, d)),
                }
            }
        }
        // Creates in batches (one AWS call each where the part batches), with bounded concurrency.
        let mut batches: BTreeMap<Option<String>, Vec<(P::Key, P::Want)>> = BTreeMap::new();
        let mut singles = Vec::new();
        for key in create {
            let Some(w) = want.get(&key) else { continue };
            match part.batch_of(&key, w) {
                Some(batch) => batches
                    .entry(Some(batch))
                    .or_default()
                    .push((key, w.clone())),
                None => singles.push(vec![(key, w.clone())]),
            }
        }
        let work: Vec<Vec<(P::Key, P::Want)>> = batches.into_values().chain(singles).collect();
        let snapshot = state.clone();
        let failed = &AtomicBool::new(false);
        let mut running = futures::stream::iter(work.into_iter().map(|batch| {
            let snapshot = &snapshot;
            async move {
                // After a failure, start nothing more.
                if failed.load(Ordering::Relaxed) {
                    return Vec::new();
                }
                part.create_batch(ctx, snapshot, batch).await
            }
        }))
        .buffer_unordered(P::CONCURRENCY.max(1));
        let mut first_failure = None;
        while let Some(results) = running.next().await {
            for (key, result) in results {
                match result {
                    Ok(new) => {
                        have.insert(key, new);
                    }
                    // Let the calls already under way finish, so what they made is recorded.
                    Err(d) => {
                        failed.store(true, Ordering::Relaxed);
                        if first_failure.is_none() {
                            first_failure = Some(keyed_failure(part.name(), &key, d));
                        }
                    }
                }
            }
            part.record(state, &have);
        }
        first_failure.map_or(Ok(()), Err)
    }

    async fn prune(&self, ctx: &Context<D>, planned: &Value, state: &mut Value) -> PartResult {
        let part = &self.0;
        let Some(want) = part.want(planned, state) else {
            return Ok(());
        };
        let mut have = part.recorded(state);
        let (_, _, delete) = Keyed::<P>::diff(&want, &have, |w, h| part.up_to_date(w, h));
        self.delete_keys(ctx, state, &mut have, delete).await
    }

    async fn read(&self, ctx: &Context<D>, state: &mut Value) -> PartResult<Presence> {
        let have = self.0.list(ctx, state).await?;
        self.0.record(state, &have);
        self.0.observe(state, &have);
        Ok(Presence::Present)
    }

    async fn remove(&self, ctx: &Context<D>, state: &Value) -> PartResult {
        let mut have = if P::REMOVE_LISTED {
            self.0.list(ctx, state).await?
        } else {
            self.0.recorded(state)
        };
        let keys = have.keys().cloned().collect();
        let mut scratch = state.clone();
        self.delete_keys(ctx, &mut scratch, &mut have, keys).await
    }
}

impl<P> Keyed<P> {
    async fn delete_keys<D: ProviderData>(
        &self,
        ctx: &Context<D>,
        state: &mut Value,
        have: &mut BTreeMap<P::Key, P::Have>,
        keys: Vec<P::Key>,
    ) -> PartResult
    where
        P: KeyedPart<D>,
    {
        let part = &self.0;
        let work: Vec<(P::Key, P::Have)> = keys
            .into_iter()
            .filter_map(|key| Some((key.clone(), have.get(&key)?.clone())))
            .collect();
        if work.is_empty() {
            return Ok(());
        }
        if let Some(results) = part.delete_batch(ctx, &work).await {
            let mut first_failure = None;
            for (key, result) in results {
                match result {
                    Ok(()) => {
                        have.remove(&key);
                    }
                    Err(d) => {
                        first_failure.get_or_insert_with(|| keyed_failure(part.name(), &key, d));
                    }
                }
            }
            part.record(state, have);
            return first_failure.map_or(Ok(()), Err);
        }
        let failed = &AtomicBool::new(false);
        let mut running = futures::stream::iter(work.into_iter().map(|(key, h)| async move {
            // After a failure, start nothing more.
            if failed.load(Ordering::Relaxed) {
                return (key, None);
            }
            let result = part.delete(ctx, &key, &h).await;
            (key, Some(result))
        }))
        .buffer_unordered(P::CONCURRENCY.max(1));
        let mut first_failure = None;
        while let Some((key, result)) = running.next().await {
            let Some(result) = result else { continue };
            match result {
                Ok(()) => {
                    have.remove(&key);
                    part.record(state, have);
                }
                Err(d) => {
                    failed.store(true, Ordering::Relaxed);
                    if first_failure.is_none() {
                        first_failure = Some(keyed_failure(part.name(), &key, d));
                    }
                }
            }
        }
        first_failure.map_or(Ok(()), Err)
    }
}

fn keyed_failure(name: &str, key: &impl fmt::Display, mut d: Diagnostic) -> Diagnostic {
    d.detail.push_str(&format!(" ({name}: {key})"));
    d
}
