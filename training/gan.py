"""The GAN as one `keras.Model`: `compile()` takes one Adam, `fit()` trains it, on any backend.

The recipe is written here once, in `keras` and `keras.ops`: the noise (`keras.random`
with the model's `SeedGenerator`), one forward pass (fakes for the real batch's classes,
the discriminator on reals and fakes), the losses, the exponential moving average of the
generator's weights, and the metrics. The backend-specific part, how gradients are taken
and applied, is small and side by side in `training/steps.py`: TensorFlow's two
`GradientTape`s (with `tf.distribute`), JAX's `stateless_call` / `jax.vjp` /
`optimizer.stateless_apply`. Progress bars, callbacks and logs work unchanged on both.

One Adam for both networks: Keras' JAX trainer carries `self.optimizer.variables` (one
optimizer) through its jitted step. Two Adams with the same learning rate and beta_1, one
fed G's gradients and one D's, are the same maths as one Adam over G's and D's variables
fed G's gradients for G's variables and D's for D's: Adam's moments are per parameter,
and both counted the same steps. Checkpoints keep the two-optimizer keys
(`state_variables`): `g_opt/...` for the slots shadowing generator variables, `d_opt/...`
for the discriminator's, and both `g_opt/iteration` and `d_opt/iteration` name the one
step counter (likewise the learning rate).

The averaged generator is kept for export: averaged GAN generators draw cleaner digits
than the last iterate. It is not trainable; its weights move only by the average.
"""

from __future__ import annotations

import keras
from keras import ops

from training import steps
from training.models import ARCHITECTURES, NUM_CLASSES

# Adam's per-parameter slots, each list 1:1 with the variables the optimizer was built on.
_SLOT_LISTS = ("_momentums", "_velocities", "_velocity_hats")


class GAN(keras.Model):
    def __init__(self, arch: str, latent_dim: int, ema: float = 0.0, seed: int = 0,
                 width: int = 32, minibatch_stddev: bool = False, num_classes: int = NUM_CLASSES,
                 d_width: int | None = None, **kwargs):
        super().__init__(**kwargs)
        spec = ARCHITECTURES[arch]
        self.arch = arch
        self.conditional = spec.conditional
        self.latent_dim = latent_dim
        self.ema_decay = ema
        # Conditional generators take `num_classes` class weights: digits, or the k-means
        # clusters of a self-conditioned run (--clusters).
        extra = {"num_classes": num_classes} if spec.conditional else {}
        self.num_classes = num_classes
        self.generator = spec.build_generator(latent_dim, width, **extra)
        # The discriminator may be wider than the generator: it trains the generator and is
        # never exported, so its size costs training time only, never the app's frames.
        self.discriminator = spec.build_discriminator(d_width or width, minibatch_stddev, **extra)
        # The averaged generator shares the architecture and never gets gradients.
        self.ema_generator = spec.build_generator(latent_dim, width, **extra) if ema > 0 else None
        if self.ema_generator is not None:
            self.ema_generator.trainable = False
            self.ema_generator.set_weights(self.generator.get_weights())
            pairs = zip(self.ema_generator.weights, self.generator.weights)
            assert all(a.path == w.path for a, w in pairs), "the averaged generator's weights must pair up"
        self.noise_seed = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")  # D's mean belief real is real
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")  # ... and that fakes are real
        # Both networks are functional models, built on construction. Saying so stops Keras
        # from building the GAN symbolically through call() under a tf.distribute strategy.
        self.built = True

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Nothing to build: both networks are built on construction.

        Keras 3's TensorFlow trainer otherwise pulls a batch off the training iterator
        under any distribution strategy and all-reduces it to build the model
        symbolically; under MultiWorkerMirroredStrategy that all-reduce fails
        (PerReplica to Tensor), and the batch it pulls is one the epoch never trains on.
        The mirrored and multi-worker tests (tests/training/test_distributed.py) hold this.
        """

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker]

    def compile(self, optimizer, from_logits: bool, loss: str = "bce", **kwargs):
        """`optimizer` trains both networks (see the module docstring); it is built here,
        so its slots exist before a resume assigns into them."""
        super().compile(optimizer=optimizer, **kwargs)
        self.from_logits = from_logits
        self.loss = loss
        # The plain function, not the Loss class: under a strategy Keras 3's Loss objects
        # divide by the replica count themselves, which would hide the loss we report.
        self.loss_fn = lambda y, p: ops.mean(keras.losses.binary_crossentropy(y, p, from_logits=from_logits))
        self.optimizer.build(self.generator.trainable_variables + self.discriminator.trainable_variables)

    # --- the recipe, once ------------------------------------------------------------

    if keras.backend.backend() == "jax":
        def train_step(self, state, data):
            return steps.jax_train_step(self, state, data)
    else:
        def train_step(self, data):
            return steps.tensorflow_train_step(self, data)

    def draw_noise(self, batch):
        """This replica's z: its slice of one draw for every replica's batch.

        The SeedGenerator's state is the same on every replica of a tf.distribute
        strategy, so each replica draws the whole (replicas x batch) block and keeps its
        own rows: N devices see N different noise batches, not one batch N times. On JAX
        the step is one program over the global batch (`steps.replica` is (0, 1)) and the
        draw is sharded with it. With one replica this is one plain draw.
        """
        index, count = steps.replica()
        z = keras.random.normal((batch * count, self.latent_dim), seed=self.noise_seed)
        return z if count == 1 else ops.slice(z, (index * batch, 0), (batch, self.latent_dim))

    # The name the mirrored-strategy test calls.
    _noise = draw_noise

    def forward(self, generate, discriminate, real, labels, z):
        """One forward pass: fakes for the real batch's classes, D's float32 outputs on both.

        `generate` and `discriminate` call the networks in training mode; each backend's
        step passes its own (a plain call under a tape, or `stateless_call`).
        """
        # Fakes are drawn for the real batch's classes (one-hot digits or clusters).
        weights = ops.one_hot(labels, self.num_classes) if self.conditional else None
        fake = generate(self._inputs(z, weights))
        real_out = ops.cast(discriminate(self._inputs(real, weights)), "float32")
        fake_out = ops.cast(discriminate(self._inputs(fake, weights)), "float32")
        return real_out, fake_out

    def gan_losses(self, real_out, fake_out):
        """(generator loss, discriminator loss) from D's outputs on reals and fakes.

        bce: the non-saturating loss of the reference recipe. hinge: the loss the
        projection discriminator was introduced with (Miyato & Koyama 2018): D is pushed
        to a margin of 1 on each side, G raises D's score of its fakes.
        """
        if self.loss == "hinge":
            d_loss = ops.mean(ops.relu(1.0 - real_out)) + ops.mean(ops.relu(1.0 + fake_out))
            return -ops.mean(fake_out), d_loss
        g_loss = self.loss_fn(ops.ones_like(fake_out), fake_out)
        d_loss = self.loss_fn(ops.ones_like(real_out), real_out) + self.loss_fn(ops.zeros_like(fake_out), fake_out)
        return g_loss, d_loss

    def averaged(self, averages, weights):
        """The EMA's new values from its current ones and the generator's (same order)."""
        d = self.ema_decay
        return [d * avg + (1.0 - d) * ops.cast(w, avg.dtype) for avg, w in zip(averages, weights)]

    def update_metrics(self, g_loss, d_loss, real_out, fake_out) -> dict:
        """Feed the step's losses and D's beliefs to the trackers; their results, by name."""
        to_prob = ops.sigmoid if self.from_logits else (lambda x: x)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.d_real_tracker.update_state(ops.mean(to_prob(real_out)))
        self.d_fake_tracker.update_state(ops.mean(to_prob(fake_out)))
        return {m.name: m.result() for m in self.metrics}

    # --- sampling and export -----------------------------------------------------------

    def export_generator(self) -> keras.Model:
        """The generator to ship: the averaged one when EMA is on."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    def sample(self, z, labels=None):
        return self.export_generator()(self._g_inputs(z, labels), training=False)

    def _inputs(self, x, weights):
        return [x, weights] if self.conditional else x

    def _g_inputs(self, z, labels):
        """The generator is fed class weights: one-hot rows of the classes asked for."""
        if not self.conditional:
            return z
        return [ops.convert_to_tensor(z), ops.one_hot(ops.convert_to_tensor(labels), self.num_classes)]

    # --- checkpoints -------------------------------------------------------------------

    def _optimizer_groups(self) -> dict[str, list]:
        """The optimizer's variables as the two optimizers of old held them, in their order.

        "g_opt": the shared ones (step counter, learning rate) and the slots of generator
        variables; "d_opt": the shared ones and the discriminator's slots.
        """
        opt = self.optimizer
        owner = {id(v): "g_opt" for v in self.generator.trainable_variables}
        owner.update({id(v): "d_opt" for v in self.discriminator.trainable_variables})
        slot_group = {}
        for attr in _SLOT_LISTS:
            for ref, slot in zip(opt._trainable_variables, getattr(opt, attr, None) or []):
                if slot is not None:
                    slot_group[id(slot)] = owner[id(ref)]
        groups = {"g_opt": [], "d_opt": []}
        for v in opt.variables:
            for group in ([slot_group[id(v)]] if id(v) in slot_group else ["g_opt", "d_opt"]):
                groups[group].append(v)
        return groups

    # Named tensors for checkpoints: every variable a resumed run needs to continue exactly.
    def state_variables(self) -> dict:
        """Keyed "group/layer/variable" (layer names are fixed in training/models.py).

        Keys name what a tensor is, not where it sits, so a checkpoint can never be
        restored into the wrong one of two same-shaped layers: a renamed or missing layer
        is a mismatch that `checkpoint.restore` refuses. The keys are the same on every
        backend, so a run continues on another one.
        """
        out: dict = {}

        def add(key, v):
            if key in out:
                raise ValueError(f"two variables would share the checkpoint key {key!r}")
            out[key] = v

        # .variables, not .weights: it includes the Dropout layers' seed states.
        for group, model in (("g", self.generator), ("d", self.discriminator)):
            for layer in model.layers:
                for v in layer.variables:
                    add(f"{group}/{layer.name}/{v.name}", v)
        for group, variables in self._optimizer_groups().items():
            for v in variables:  # named after the model variable they shadow
                add(f"{group}/{v.name}", v)
        add("noise/state", self.noise_seed.state)
        if self.ema_generator is not None:
            for layer in self.ema_generator.layers:
                for v in layer.weights:
                    add(f"ema/{layer.name}/{v.name}", v)
        return out

    def legacy_state_variables(self) -> dict:
        """Checkpoints written before keys named variables used positions ("g/000")."""
        groups = {
            "g": self.generator.variables,
            "d": self.discriminator.variables,
            **self._optimizer_groups(),
            "noise": [self.noise_seed.state],
        }
        if self.ema_generator is not None:
            groups["ema"] = self.ema_generator.weights
        return {f"{g}/{i:03d}": v for g, vs in groups.items() for i, v in enumerate(vs)}
