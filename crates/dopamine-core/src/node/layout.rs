//! `NodeLayout`: a model as layers of neurons, each a contiguous column-major block `[W | b]` of the flat parameter vector.

use crate::error::Error;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// The most layers a [`NodeLayout`] holds.
pub const MAX_NODE_LAYERS: usize = 8;

/// One layer of neurons: `units` postsynaptic neurons, each with `inputs`
/// presynaptic values and a bias, and whether its noise can reach later
/// time steps.
///
/// Its parameters are `units x (inputs + 1)` values, column-major: column
/// `j < inputs` holds the weights from input `j` (entry `(i, j)` at
/// `offset + i + j units`), the last column the biases. An Elman RNN's
/// hidden layer `[W_in | W_hh | b]` is one such layer (inputs `I + H`), its
/// readout `[W_out | b_out]` another (inputs `H`); an MLP's `[W_l | b_l]`
/// is layer `l`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct NodeLayer {
    /// Neurons (rows), `>= 1`: each gets its own noise `xi_i(t)`.
    pub units: usize,
    /// Presynaptic values per neuron, not counting the bias.
    pub inputs: usize,
    /// The layer's outputs feed later time steps (an RNN's hidden layer),
    /// so its noise at step `s` can change the losses of steps `t > s`:
    /// its eligibility decays with `lambda` over steps. Otherwise (an RNN's
    /// readout under teacher forcing, every layer of an MLP shown one
    /// pattern per step) its noise only changes its own step's loss, and
    /// its eligibility holds that step only (`lambda = 0` for the layer): a
    /// longer trace would add other steps' noise and no credit.
    pub recurrent: bool,
}

impl NodeLayer {
    /// A layer whose outputs feed later time steps.
    pub const fn recurrent(units: usize, inputs: usize) -> Self {
        Self {
            units,
            inputs,
            recurrent: true,
        }
    }

    /// A layer whose noise only changes its own time step's loss.
    pub const fn feedforward(units: usize, inputs: usize) -> Self {
        Self {
            units,
            inputs,
            recurrent: false,
        }
    }

    /// Parameters of the layer: `units (inputs + 1)`.
    pub const fn params(&self) -> usize {
        self.units * (self.inputs + 1)
    }
}

/// A model's layers in parameter order.
///
/// The neurons are numbered layer after layer (the order of the noise
/// vector `xi(t)`, length [`NodeLayout::neurons`] `= N`), and so are the
/// presynaptic values (the order of `x(t)`, length
/// [`NodeLayout::presynaptic`] `= J`); the layers' parameter blocks follow
/// each other in the flat vector (length [`NodeLayout::params`] `= P`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct NodeLayout {
    layers: [NodeLayer; MAX_NODE_LAYERS],
    len: usize,
    /// `P`, `N`, `J` of the layers (kept: the rule asks for them every step).
    params: usize,
    neurons: usize,
    presynaptic: usize,
}

impl NodeLayout {
    /// A layout of `layers` (1 to [`MAX_NODE_LAYERS`], each with at least
    /// one unit).
    pub fn new(layers: &[NodeLayer]) -> Result<Self, Error> {
        if layers.is_empty() {
            return Err(Error::EmptyParameters);
        }
        if layers.len() > MAX_NODE_LAYERS {
            return Err(Error::TooManyBlocks {
                requested: layers.len(),
                max: MAX_NODE_LAYERS,
            });
        }
        if let Some(index) = layers.iter().position(|l| l.units == 0) {
            return Err(Error::EmptyBlock { index });
        }
        let mut out = [NodeLayer::default(); MAX_NODE_LAYERS];
        out[..layers.len()].copy_from_slice(layers);
        // Sizes must fit the index type: every product is taken in usize.
        let too_large = Error::InvalidSetting("the layout has too many parameters");
        let (mut params, mut neurons, mut presynaptic) = (0usize, 0usize, 0usize);
        for l in layers {
            let p = l
                .inputs
                .checked_add(1)
                .and_then(|c| l.units.checked_mul(c))
                .ok_or(too_large)?;
            params = params.checked_add(p).ok_or(too_large)?;
            neurons = neurons.checked_add(l.units).ok_or(too_large)?;
            presynaptic = presynaptic.checked_add(l.inputs).ok_or(too_large)?;
        }
        neurons.checked_add(presynaptic).ok_or(too_large)?;
        Ok(Self {
            layers: out,
            len: layers.len(),
            params,
            neurons,
            presynaptic,
        })
    }

    /// The Elman RNN `h_t = tanh(W_in x_t + W_hh h_{t-1} + b)`,
    /// `y_t = W_out h_t + b_out` with flat vector `[W_in, W_hh, b, W_out,
    /// b_out]` (matrices column-major): the hidden layer (`H` units,
    /// `I + H` inputs `[x_t; h_{t-1}]`) and the readout (`O` units, `H`
    /// inputs `h_t`).
    pub fn elman(input: usize, hidden: usize, output: usize) -> Result<Self, Error> {
        Self::new(&[
            NodeLayer::recurrent(hidden, input + hidden),
            NodeLayer::feedforward(output, hidden),
        ])
    }

    /// The layers.
    pub fn layers(&self) -> &[NodeLayer] {
        &self.layers[..self.len]
    }

    /// `P`: parameters of every layer.
    pub fn params(&self) -> usize {
        self.params
    }

    /// `N`: neurons (noise values per time step).
    pub fn neurons(&self) -> usize {
        self.neurons
    }

    /// `J`: presynaptic values per time step (biases not counted).
    pub fn presynaptic(&self) -> usize {
        self.presynaptic
    }

    /// Each layer with the offsets of its parameters, neurons and
    /// presynaptic values.
    pub(crate) fn placed(&self) -> impl Iterator<Item = PlacedLayer> + Clone + '_ {
        let mut param = 0;
        let mut neuron = 0;
        let mut pre = 0;
        self.layers().iter().map(move |&layer| {
            let placed = PlacedLayer {
                layer,
                param,
                neuron,
                pre,
            };
            param += layer.params();
            neuron += layer.units;
            pre += layer.inputs;
            placed
        })
    }
}

/// A layer and where its values start.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PlacedLayer {
    pub(crate) layer: NodeLayer,
    /// First parameter.
    pub(crate) param: usize,
    /// First neuron (in `xi`).
    pub(crate) neuron: usize,
    /// First presynaptic value (in `x`).
    pub(crate) pre: usize,
}
