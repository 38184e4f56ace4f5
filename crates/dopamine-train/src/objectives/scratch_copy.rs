//! Interim: evaluating a model at a borrowed parameter slice through a scratch copy of the model.
//!
//! `dopamine-nets` does not yet evaluate a model at a parameter slice it
//! does not own (`Mlp::loss_at` / `Rnn::loss_at` are on their way). Until
//! then the model objectives keep one copy of their model, built on first
//! use, copy the slice into it and evaluate it there. The copy holds the
//! same values, so the loss is bit for bit the loss at those values.

/// A lazily built copy of a model, used only by [`ScratchCopy::loss_at`].
#[derive(Debug, Clone, Default)]
pub(super) struct ScratchCopy<M> {
    model: Option<M>,
}

impl<M: Clone> ScratchCopy<M> {
    /// No copy yet.
    pub(super) fn new() -> Self {
        Self { model: None }
    }

    /// `loss` of a copy of `model` whose parameters (reached through
    /// `params_mut`) are overwritten with `params`.
    pub(super) fn loss_at<T: Copy, L>(
        &mut self,
        model: &M,
        params: &[T],
        params_mut: impl FnOnce(&mut M) -> &mut [T],
        loss: impl FnOnce(&M) -> L,
    ) -> L {
        let copy = self.model.get_or_insert_with(|| model.clone());
        params_mut(copy).copy_from_slice(params);
        loss(copy)
    }
}
