//! The gateway's view of the group's leaves: which user sits at which leaf
//! index, so that it can name a leaving member in a Remove proposal
//! (protocol description, "Delivery Service": the gateway "associates each
//! member with their leaf node index").
//!
//! Leaves change only through commits. RFC 9420 (section 12.3) applies a
//! commit's Removes before its Adds; an Add takes the leftmost blank leaf, or
//! a new one on the right; trailing blank leaves are truncated away.

/// One occupied leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Leaf {
    pub(crate) user_id: u64,
    /// The leaf's signature key, when the gateway has seen it (from the
    /// member's key package or its commit's update path).
    pub(crate) signature_key: Option<Vec<u8>>,
    /// A Remove proposal for this leaf is in flight (the member left, was
    /// replaced, or flagged an invalid commit or welcome).
    pub(crate) leaving: bool,
}

/// The leaves, index = leaf index.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tree {
    leaves: Vec<Option<Leaf>>,
}

impl Tree {
    /// A new group whose creator sits at leaf 0.
    pub(crate) fn with_creator(creator: Leaf) -> Self {
        Self {
            leaves: vec![Some(creator)],
        }
    }

    pub(crate) fn clear(&mut self) {
        self.leaves.clear();
    }

    pub(crate) fn get(&self, index: u32) -> Option<&Leaf> {
        self.leaves.get(index as usize)?.as_ref()
    }

    pub(crate) fn get_mut(&mut self, index: u32) -> Option<&mut Leaf> {
        self.leaves.get_mut(index as usize)?.as_mut()
    }

    /// The leaf index of a user.
    pub(crate) fn find(&self, user_id: u64) -> Option<u32> {
        self.leaves
            .iter()
            .position(|l| l.as_ref().is_some_and(|l| l.user_id == user_id))
            .map(|i| i as u32)
    }

    /// Occupied leaves, in leaf order.
    pub(crate) fn leaves(&self) -> impl Iterator<Item = (u32, &Leaf)> {
        self.leaves
            .iter()
            .enumerate()
            .filter_map(|(i, l)| l.as_ref().map(|l| (i as u32, l)))
    }

    pub(crate) fn remove(&mut self, index: u32) {
        if let Some(slot) = self.leaves.get_mut(index as usize) {
            *slot = None;
        }
        while self.leaves.last().is_some_and(Option::is_none) {
            self.leaves.pop();
        }
    }

    pub(crate) fn add(&mut self, leaf: Leaf) -> u32 {
        match self.leaves.iter().position(Option::is_none) {
            Some(i) => {
                self.leaves[i] = Some(leaf);
                i as u32
            }
            None => {
                self.leaves.push(Some(leaf));
                (self.leaves.len() - 1) as u32
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(user_id: u64) -> Leaf {
        Leaf {
            user_id,
            signature_key: None,
            leaving: false,
        }
    }

    #[test]
    fn adds_fill_the_leftmost_blank_and_removes_truncate() {
        let mut tree = Tree::with_creator(leaf(1));
        assert_eq!(tree.add(leaf(2)), 1);
        assert_eq!(tree.add(leaf(3)), 2);
        tree.remove(1);
        assert_eq!(tree.add(leaf(4)), 1);
        tree.remove(2);
        assert_eq!(tree.find(3), None);
        assert_eq!(tree.add(leaf(5)), 2);
        assert_eq!(
            tree.leaves()
                .map(|(i, l)| (i, l.user_id))
                .collect::<Vec<_>>(),
            [(0, 1), (1, 4), (2, 5)]
        );
    }
}
