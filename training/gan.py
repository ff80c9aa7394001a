"""The GAN as one `keras.Model`: `compile()` takes both optimizers, `fit()` trains it.

`train_step` is the reference recipe's step (one noise batch, two tapes, simultaneous
updates) written as a Keras 3 train step, so progress bars, callbacks and logs work
unchanged. An optional exponential moving average of the generator's weights is kept
for export: averaged GAN generators draw cleaner digits than the last iterate.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from training.models import ARCHITECTURES, NUM_CLASSES


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
        # The averaged generator shares the architecture, never gets gradients.
        self.ema_generator = spec.build_generator(latent_dim, width, **extra) if ema > 0 else None
        if self.ema_generator is not None:
            self.ema_generator.set_weights(self.generator.get_weights())
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

    def compile(self, g_optimizer, d_optimizer, from_logits: bool, loss: str = "bce", **kwargs):
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        self.from_logits = from_logits
        self.loss = loss
        # The plain function, not the Loss class: under a strategy Keras 3's Loss objects
        # divide by the replica count themselves, which would hide the loss we report.
        self.loss_fn = lambda y, p: keras.ops.mean(keras.losses.binary_crossentropy(y, p, from_logits=from_logits))

    def gan_losses(self, real_out, fake_out):
        """(generator loss, discriminator loss) from D's outputs on reals and fakes.

        bce: the non-saturating loss of the reference recipe. hinge: the loss the
        projection discriminator was introduced with (Miyato & Koyama 2018): D is pushed
        to a margin of 1 on each side, G raises D's score of its fakes.
        """
        if self.loss == "hinge":
            d_loss = (tf.reduce_mean(tf.nn.relu(1.0 - real_out)) + tf.reduce_mean(tf.nn.relu(1.0 + fake_out)))
            return -tf.reduce_mean(fake_out), d_loss
        g_loss = self.loss_fn(tf.ones_like(fake_out), fake_out)
        d_loss = self.loss_fn(tf.ones_like(real_out), real_out) + self.loss_fn(tf.zeros_like(fake_out), fake_out)
        return g_loss, d_loss

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
        return [tf.convert_to_tensor(z), tf.one_hot(labels, self.num_classes)]

    def _noise(self, batch):
        """This replica's z: one draw of the shared seed, offset by the replica's id.

        The SeedGenerator's state is mirrored, so without the offset every replica would
        draw the same noise and N devices would do the work of one.
        """
        ctx = tf.distribute.get_replica_context()
        replica = ctx.replica_id_in_sync_group if ctx is not None else 0
        seed = tf.cast(self.noise_seed.next(), tf.int64)
        seed = seed + tf.cast(tf.stack([0, replica]), tf.int64)
        return tf.random.stateless_normal((batch, self.latent_dim), seed=seed)

    def train_step(self, data):
        real, labels = data
        batch = tf.shape(real)[0]
        z = self._noise(batch)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            # Fakes are drawn for the real batch's classes (one-hot digits or clusters).
            weights = tf.one_hot(labels, self.num_classes) if self.conditional else None
            fake = self.generator(self._inputs(z, weights), training=True)
            real_out = tf.cast(self.discriminator(self._inputs(real, weights), training=True), tf.float32)
            fake_out = tf.cast(self.discriminator(self._inputs(fake, weights), training=True), tf.float32)
            g_loss, d_loss = self.gan_losses(real_out, fake_out)
            # Under a tf.distribute strategy gradients are summed across replicas.
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            g_scaled, d_scaled = g_loss / replicas, d_loss / replicas
        g_vars = self.generator.trainable_variables
        d_vars = self.discriminator.trainable_variables
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_scaled, g_vars), g_vars))
        self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_scaled, d_vars), d_vars))
        if self.ema_generator is not None:
            d = self.ema_decay
            for avg, w in zip(self.ema_generator.weights, self.generator.weights):
                avg.assign(d * avg + (1.0 - d) * tf.cast(w, avg.dtype))
        to_prob = tf.sigmoid if self.from_logits else tf.identity
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.d_real_tracker.update_state(tf.reduce_mean(to_prob(real_out)))
        self.d_fake_tracker.update_state(tf.reduce_mean(to_prob(fake_out)))
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            # Keras 3 all-reduces step outputs across workers with axis=0, which fails for
            # scalars; as length-1 vectors they come back as the scalar mean over replicas.
            return {m.name: tf.reshape(m.result(), [1]) for m in self.metrics}
        return {m.name: m.result() for m in self.metrics}

    # Named tensors for checkpoints: every variable a resumed run needs to continue exactly.
    def state_variables(self) -> dict[str, tf.Variable]:
        """Keyed "group/layer/variable" (layer names are fixed in training/models.py).

        Keys name what a tensor is, not where it sits, so a checkpoint can never be
        restored into the wrong one of two same-shaped layers: a renamed or missing layer
        is a mismatch that `checkpoint.restore` refuses.
        """
        out: dict[str, tf.Variable] = {}

        def add(key, v):
            if key in out:
                raise ValueError(f"two variables would share the checkpoint key {key!r}")
            out[key] = v

        # .variables, not .weights: it includes the Dropout layers' seed states.
        for group, model in (("g", self.generator), ("d", self.discriminator)):
            for layer in model.layers:
                for v in layer.variables:
                    add(f"{group}/{layer.name}/{v.name}", v)
        for group, opt in (("g_opt", self.g_optimizer), ("d_opt", self.d_optimizer)):
            for v in opt.variables:  # named after the model variable they shadow
                add(f"{group}/{v.name}", v)
        add("noise/state", self.noise_seed.state)
        if self.ema_generator is not None:
            for layer in self.ema_generator.layers:
                for v in layer.weights:
                    add(f"ema/{layer.name}/{v.name}", v)
        return out

    def legacy_state_variables(self) -> dict[str, tf.Variable]:
        """Checkpoints written before keys named variables used positions ("g/000")."""
        groups = {
            "g": self.generator.variables,
            "d": self.discriminator.variables,
            "g_opt": self.g_optimizer.variables,
            "d_opt": self.d_optimizer.variables,
            "noise": [self.noise_seed.state],
        }
        if self.ema_generator is not None:
            groups["ema"] = self.ema_generator.weights
        return {f"{g}/{i:03d}": v for g, vs in groups.items() for i, v in enumerate(vs)}
