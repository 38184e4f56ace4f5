//! The registry's list turned into types: `optimizer_list!` writes [`OptimizerKind`](crate::OptimizerKind) and [`OptimizerSpec`](crate::OptimizerSpec) (config form tagged by `kind`, old setting names refused) from the entries, one arm per entry in every method.

/// Writes `OptimizerKind`, `OptimizerSpec` and their methods from the
/// list of entries `Variant: module::Settings`, in report order. Each
/// entry's module is declared here, so a new optimizer is its file and one
/// line of the list.
macro_rules! optimizer_list {
    ($($variant:ident : $module:ident :: $settings:ident),* $(,)?) => {
        $(
            mod $module;
            pub use $module::$settings;
        )*

        /// Which built-in optimizer: the name the reports print, as an enum
        /// (one variant per registry entry, in report order).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum OptimizerKind {
            $(
                #[doc = concat!("See [`", stringify!($settings), "`].")]
                $variant,
            )*
        }

        impl OptimizerKind {
            /// Every built-in optimizer, in report order.
            pub const ALL: [OptimizerKind; [$(stringify!($variant)),*].len()] =
                [$(OptimizerKind::$variant),*];

            /// Short display name: `WP`, `Dopamine-1`, `OpenES`, ...
            pub fn name(self) -> &'static str {
                match self {
                    $(OptimizerKind::$variant => <$settings as OptimizerEntry>::NAME,)*
                }
            }

            /// The config's `kind` tag: `wp`, `dopamine1`, `openes`, ...
            pub fn tag(self) -> &'static str {
                match self {
                    $(OptimizerKind::$variant => <$settings as OptimizerEntry>::KIND,)*
                }
            }

            /// The optimizer's family.
            pub fn family(self) -> Family {
                match self {
                    $(OptimizerKind::$variant => <$settings as OptimizerEntry>::FAMILY,)*
                }
            }

            /// Setting names refused with the name they have now.
            pub fn renamed(self) -> &'static [(&'static str, &'static str)] {
                match self {
                    $(OptimizerKind::$variant => <$settings as OptimizerEntry>::RENAMED,)*
                }
            }

            /// The optimizer whose config tag is `tag`.
            pub fn from_tag(tag: &str) -> Option<OptimizerKind> {
                OptimizerKind::ALL.into_iter().find(|k| k.tag() == tag)
            }

            /// The optimizer whose display name is `name`.
            pub fn from_name(name: &str) -> Option<OptimizerKind> {
                OptimizerKind::ALL.into_iter().find(|k| k.name() == name)
            }

            /// The spec with every setting at its default.
            pub fn default_spec(self) -> OptimizerSpec {
                match self {
                    $(OptimizerKind::$variant => OptimizerSpec::$variant(<$settings>::default()),)*
                }
            }

            /// `true` for the evolution strategies (OpenES, SNES).
            pub fn is_evolution_strategy(self) -> bool {
                self.family() == Family::EvolutionStrategy
            }

            /// `true` for the gradient methods (SGD, Adam).
            pub fn uses_gradients(self) -> bool {
                self.family() == Family::Gradient
            }

            /// Calls `visitor` with this entry's settings type (see
            /// [`EntryVisitor`]).
            pub fn visit<V: EntryVisitor>(self, visitor: V) -> V::Output {
                match self {
                    $(OptimizerKind::$variant => visitor.visit::<$settings>(),)*
                }
            }
        }

        /// One built-in optimizer and its settings, as a config file writes
        /// them: `{"kind": "dopamine1", "sigma": 0.01, "eta": 0.1, "beta":
        /// 0.9}`. Unknown fields are refused, and so are the names settings
        /// had before, with their new names.
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub enum OptimizerSpec {
            $(
                #[doc = concat!("See [`", stringify!($settings), "`].")]
                $variant($settings),
            )*
        }

        impl OptimizerSpec {
            /// Which optimizer this is.
            pub fn kind(&self) -> OptimizerKind {
                match self {
                    $(OptimizerSpec::$variant(_) => OptimizerKind::$variant,)*
                }
            }

            /// The hyperparameters in one line, for reports.
            pub fn describe(&self) -> String {
                match self {
                    $(OptimizerSpec::$variant(s) => s.describe(),)*
                }
            }

            /// The probing settings of a perturbation rule (WP, the
            /// Dopamine rules); `None` for the others.
            pub fn perturb(&self) -> Option<PerturbSpec> {
                match self {
                    $(OptimizerSpec::$variant(s) => s.perturbation(),)*
                }
            }

            /// The learning rate (eta, lr, or SNES's eta).
            pub fn rate(&self) -> f64 {
                match self {
                    $(OptimizerSpec::$variant(s) => s.rate(),)*
                }
            }

            /// The same optimizer with its learning rate replaced.
            pub fn with_rate(&self, rate: f64) -> OptimizerSpec {
                let mut spec = *self;
                match &mut spec {
                    $(OptimizerSpec::$variant(s) => s.set_rate(rate),)*
                }
                spec
            }

            /// The noise scale (SNES's initial sigma); `None` for the
            /// gradient methods.
            pub fn sigma(&self) -> Option<f64> {
                match self {
                    $(OptimizerSpec::$variant(s) => s.sigma(),)*
                }
            }

            /// The same optimizer with its noise scale replaced (unchanged
            /// for the gradient methods).
            pub fn with_sigma(&self, sigma: f64) -> OptimizerSpec {
                let mut spec = *self;
                match &mut spec {
                    $(OptimizerSpec::$variant(s) => s.set_sigma(sigma),)*
                }
                spec
            }

            /// Forward-pass equivalents of one step with `options`: for the
            /// perturbation rules the baseline (unless skipped) and one
            /// (forward) or two (antithetic) per probe; `2K` for OpenES;
            /// the population for SNES (0 when it is the paper's default,
            /// which depends on the parameter count); a forward and a
            /// backward pass for the gradient methods.
            pub fn passes_per_step_with(&self, options: &SpecOptions) -> u64 {
                match self {
                    $(OptimizerSpec::$variant(s) => s.passes_per_step(options),)*
                }
            }

            /// Refuses options that do not apply to this optimizer (and
            /// settings that do not go together), naming the field.
            pub fn check_options(&self, options: &SpecOptions) -> Result<(), SpecError> {
                match self {
                    $(OptimizerSpec::$variant(s) => s.check_options(options),)*
                }
            }

            /// The running optimizer for `dim` parameters in `T`, with
            /// `options`. `seed` keys the noise streams; `total_steps` sets
            /// the length of a cosine schedule that names none; `layout` is
            /// the objective's parameter layout for low-rank probes (needed
            /// when `options.rank` is set: see
            /// [`crate::Objective::param_layout`]). Every setting is
            /// validated here.
            pub fn build_with<T: Float>(
                &self,
                options: &SpecOptions,
                layout: Option<&ParamLayout>,
                dim: usize,
                seed: u64,
                total_steps: u64,
            ) -> Result<Box<dyn Optimizer<T>>, TrainError> {
                self.build_into(options, layout, dim, seed, total_steps, Boxed)
            }

            /// As [`OptimizerSpec::build_with`], the running optimizer
            /// handed to `sink` (see [`Sink`]): a front end that keeps the
            /// optimizer's type builds through this.
            pub fn build_into<T: Float, S: Sink<T>>(
                &self,
                options: &SpecOptions,
                layout: Option<&ParamLayout>,
                dim: usize,
                seed: u64,
                total_steps: u64,
                sink: S,
            ) -> Result<S::Output, TrainError> {
                self.check_options(options)?;
                let ctx = BuildContext { options, layout, dim, seed, total_steps };
                match self {
                    $(OptimizerSpec::$variant(s) => s.build_into(&ctx, sink),)*
                }
            }

            /// Writes the config form: `kind`, then the settings in the
            /// order their struct declares them.
            fn serialize_tagged<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::Serialize;
                match self {
                    $(OptimizerSpec::$variant(s) => config::Tagged {
                        kind: <$settings as OptimizerEntry>::KIND,
                        settings: s,
                    }
                    .serialize(serializer),)*
                }
            }

            /// The settings of `kind` from a config's fields (without
            /// `kind`), old names refused with their new ones.
            pub fn from_fields(
                kind: OptimizerKind,
                fields: serde_json::Value,
            ) -> Result<OptimizerSpec, String> {
                if let Some(map) = fields.as_object() {
                    check_renamed(kind.renamed(), kind.name(), map.keys().map(String::as_str))
                        .map_err(|e| e.reason)?;
                }
                match kind {
                    $(OptimizerKind::$variant => serde_json::from_value::<$settings>(fields)
                        .map(OptimizerSpec::$variant)
                        .map_err(|e| e.to_string()),)*
                }
            }
        }

        $(
            impl From<$settings> for OptimizerSpec {
                fn from(s: $settings) -> Self {
                    OptimizerSpec::$variant(s)
                }
            }
        )*
    };
}
pub(crate) use optimizer_list;
