//! [`AttrMap`]: the insertion-ordered map of attribute names (or map keys) to values that every
//! evaluated block, object and map is made of.
//!
//! Nearly all such maps hold a handful of entries, so they are a plain vector searched in order:
//! one allocation per map and no hashing. A map that grows past [`INDEXED_FROM`] entries (a large
//! `locals` map, a decoded JSON document) also keeps a hash index, so building or reading it stays
//! linear in its size.
use std::fmt;

use serde::Serialize;
use serde::ser::SerializeMap;

use crate::model::{Key, Tracked};

/// Entries from which a map keeps a hash index beside its vector.
const INDEXED_FROM: usize = 24;

type Index = foldhash::HashMap<Key, usize>;

/// Insertion-ordered map from [`Key`] to [`Tracked`]; inserting an existing key replaces its value
/// in place.
#[derive(Clone, Default)]
pub struct AttrMap {
    entries: Vec<(Key, Tracked)>,
    index: Option<Box<Index>>,
}

impl AttrMap {
    pub fn new() -> Self {
        AttrMap::default()
    }

    pub fn with_capacity(capacity: usize) -> Self {
        AttrMap {
            entries: Vec::with_capacity(capacity),
            index: None,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn reserve(&mut self, additional: usize) {
        self.entries.reserve(additional);
    }

    /// Position of `key`.
    pub fn get_index_of(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.entries.iter().position(|(k, _)| k.as_str() == key),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Tracked> {
        self.get_index_of(key).map(|i| &self.entries[i].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Tracked> {
        self.get_index_of(key).map(|i| &mut self.entries[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get_index_of(key).is_some()
    }

    pub fn get_index(&self, index: usize) -> Option<(&Key, &Tracked)> {
        self.entries.get(index).map(|(k, v)| (k, v))
    }

    pub fn get_index_mut(&mut self, index: usize) -> Option<(&Key, &mut Tracked)> {
        self.entries.get_mut(index).map(|(k, v)| (&*k, v))
    }

    /// Inserts or replaces (keeping the key's position); returns the position and the old value.
    pub fn insert_full(&mut self, key: Key, value: Tracked) -> (usize, Option<Tracked>) {
        if let Some(i) = self.get_index_of(&key) {
            let old = std::mem::replace(&mut self.entries[i].1, value);
            return (i, Some(old));
        }
        let i = self.entries.len();
        if let Some(index) = &mut self.index {
            index.insert(key.clone(), i);
        }
        self.entries.push((key, value));
        if self.index.is_none() && self.entries.len() >= INDEXED_FROM {
            self.rebuild_index();
        }
        (i, None)
    }

    /// Inserts or replaces (keeping the key's position); returns the old value.
    pub fn insert(&mut self, key: Key, value: Tracked) -> Option<Tracked> {
        self.insert_full(key, value).1
    }

    /// Removes `key`, keeping the order of the others.
    pub fn shift_remove(&mut self, key: &str) -> Option<Tracked> {
        let i = self.get_index_of(key)?;
        let (_, value) = self.entries.remove(i);
        if self.index.is_some() {
            self.rebuild_index();
        }
        Some(value)
    }

    /// Keeps the entries for which `keep` says so, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&Key, &mut Tracked) -> bool) {
        let before = self.entries.len();
        self.entries.retain_mut(|(k, v)| keep(k, v));
        if self.index.is_some() && self.entries.len() != before {
            self.rebuild_index();
        }
    }

    fn rebuild_index(&mut self) {
        if self.entries.len() < INDEXED_FROM {
            self.index = None;
            return;
        }
        let mut index = Index::default();
        index.reserve(self.entries.len());
        for (i, (k, _)) in self.entries.iter().enumerate() {
            index.insert(k.clone(), i);
        }
        self.index = Some(Box::new(index));
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries.iter())
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&Key, &mut Tracked)> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Key> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Tracked> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Tracked> {
        self.entries.iter_mut().map(|(_, v)| v)
    }
}

/// Borrowing iterator over `(key, value)` in order.
#[derive(Clone)]
pub struct Iter<'a>(std::slice::Iter<'a, (Key, Tracked)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Key, &'a Tracked);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k, v))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a AttrMap {
    type Item = (&'a Key, &'a Tracked);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl IntoIterator for AttrMap {
    type Item = (Key, Tracked);
    type IntoIter = std::vec::IntoIter<(Key, Tracked)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl Extend<(Key, Tracked)> for AttrMap {
    fn extend<I: IntoIterator<Item = (Key, Tracked)>>(&mut self, iter: I) {
        let iter = iter.into_iter();
        self.reserve(iter.size_hint().0);
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl FromIterator<(Key, Tracked)> for AttrMap {
    fn from_iter<I: IntoIterator<Item = (Key, Tracked)>>(iter: I) -> Self {
        let mut map = AttrMap::new();
        map.extend(iter);
        map
    }
}

/// `map["key"]`, like a standard map: panics when the key is absent (for tests; code uses
/// [`AttrMap::get`]).
impl std::ops::Index<&str> for AttrMap {
    type Output = Tracked;
    fn index(&self, key: &str) -> &Tracked {
        match self.get(key) {
            Some(v) => v,
            None => panic!("no entry `{key}` in the map"),
        }
    }
}

/// Maps are equal when they hold the same keys with equal values, whatever their order.
impl PartialEq for AttrMap {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl fmt::Debug for AttrMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for AttrMap {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (k, v) in self {
            map.serialize_entry(k.as_str(), v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;

    fn num(n: usize) -> Tracked {
        Tracked::new(Value::Number(n as f64), None)
    }

    #[test]
    fn keeps_insertion_order_and_replaces_in_place() {
        for size in [0, 3, INDEXED_FROM - 1, INDEXED_FROM, 200] {
            let mut map = AttrMap::new();
            for i in 0..size {
                assert_eq!(map.insert(format!("k{i}").into(), num(i)), None);
            }
            assert_eq!(map.len(), size);
            for i in 0..size {
                assert_eq!(map.get(&format!("k{i}")), Some(&num(i)), "size {size}");
                assert_eq!(map.get_index_of(&format!("k{i}")), Some(i));
            }
            assert!(map.get("missing").is_none());
            if size > 2 {
                // Replacing keeps the position; removing shifts the rest.
                assert_eq!(map.insert("k1".into(), num(99)), Some(num(1)));
                assert_eq!(map.get_index_of("k1"), Some(1));
                assert_eq!(map.shift_remove("k0"), Some(num(0)));
                assert_eq!(map.get_index_of("k1"), Some(0));
                assert_eq!(map.get("k1"), Some(&num(99)));
                assert_eq!(map.get_index_of(&format!("k{}", size - 1)), Some(size - 2));
                let keys: Vec<&str> = map.keys().map(|k| k.as_str()).collect();
                assert_eq!(keys[0], "k1");
                assert_eq!(keys.len(), size - 1);
                map.retain(|k, _| k.as_str() != "k2");
                assert_eq!(map.get_index_of("k2"), None);
                assert_eq!(map.get_index_of("k1"), Some(0));
                if size > 3 {
                    assert_eq!(map.get_index_of(&format!("k{}", size - 1)), Some(size - 3));
                }
                assert_eq!(map.len(), size - 2);
            }
        }
    }

    #[test]
    fn equality_ignores_order_and_serializes_in_order() {
        let a: AttrMap = [("x".into(), num(1)), ("y".into(), num(2))]
            .into_iter()
            .collect();
        let b: AttrMap = [("y".into(), num(2)), ("x".into(), num(1))]
            .into_iter()
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, AttrMap::new());
        let json = serde_json::to_string(&b).expect("serializes");
        let (y, x) = (json.find(r#""y":"#), json.find(r#""x":"#));
        assert!(y.is_some() && x.is_some() && y < x, "{json}");
        assert_eq!(format!("{:?}", AttrMap::new()), "{}");
    }
}
