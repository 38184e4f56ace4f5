//! The built-in [`Objective`](crate::Objective)s: [`FnObjective`] (a loss closure of a parameter slice), [`MlpObjective`] and [`RnnObjective`] (the models of `dopamine-nets`).

mod closure;
mod mlp;
mod rnn;
mod rnn_helper;

pub use closure::FnObjective;
pub use mlp::MlpObjective;
pub use rnn::RnnObjective;
