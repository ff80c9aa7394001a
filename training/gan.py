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
                 d_width: int | None = None,
                 cluster_offsets=None, cluster_temperature: float = 0.0, hard_critic: bool = False,
                 path_reg: float = 0.0, **kwargs):
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
        # Self-conditioning with soft clusters: the generator's class weights come from z
        # exactly as in the export (softmax(T·(z[:k] + b))), so blends are trained, not guessed.
        self.soft_clusters = cluster_offsets is not None and cluster_temperature > 0
        if self.soft_clusters:
            self.cluster_offsets = tf.constant(cluster_offsets, tf.float32)
            self.cluster_temperature = float(cluster_temperature)
        # Real images come with one-hot clusters; soft weights on the fakes alone would tell
        # D which is which without looking at the image. A hard critic sees both one-hot;
        # with --soft-reals both are blends (the reals' from `clusters.kmeans`).
        self.hard_critic = self.soft_clusters and hard_critic
        self.generator = spec.build_generator(latent_dim, width, **extra)
        # The discriminator may be wider than the generator: it trains the generator and is
        # never exported, so its size costs training time only, never the app's frames.
        self.discriminator = spec.build_discriminator(d_width or width, minibatch_stddev, **extra)
        # The averaged generator shares the architecture, never gets gradients.
        self.ema_generator = spec.build_generator(latent_dim, width, **extra) if ema > 0 else None
        if self.ema_generator is not None:
            self.ema_generator.set_weights(self.generator.get_weights())
        self.noise_seed = keras.random.SeedGenerator(seed)
        # Path-length regularisation (StyleGAN2, Karras et al. 2020): the generator is pushed
        # to change its image by the same amount for the same small step in z everywhere, the
        # running mean of those amounts being the target. Sharp switches between modes (a
        # self-conditioned generator jumping from one cluster's digit to another's) are
        # where that amount spikes, and what a morph shows as a jump.
        self.path_reg = float(path_reg)
        self.path_mean = keras.Variable(0.0, trainable=False, name="path_mean", aggregation="mean") \
            if self.path_reg > 0 else None
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")  # D's mean belief real is real
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")  # ... and that fakes are real
        self.path_tracker = keras.metrics.Mean(name="path_penalty") if self.path_reg > 0 else None
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
        trackers = [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker]
        return trackers + ([self.path_tracker] if self.path_tracker is not None else [])

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
        """The generator is fed class weights: one-hot rows of the classes asked for, or for
        soft self-conditioning the weights its own z picks (labels are then ignored)."""
        if not self.conditional:
            return z
        z = tf.convert_to_tensor(z)
        return [z, self._class_weights(z, labels)]

    def _class_weights(self, z, labels):
        if self.soft_clusters:
            k = self.num_classes
            return tf.nn.softmax(self.cluster_temperature * (z[:, :k] + self.cluster_offsets), axis=-1)
        return tf.one_hot(labels, self.num_classes)

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

    PATH_BATCH_FRACTION = 4  # the penalty's batch: a quarter of the training batch
    PATH_MEAN_DECAY = 0.01  # the target's running-mean rate (StyleGAN2's)

    def path_lengths(self, z, labels, seed):
        """|∂⟨G(z), y⟩/∂z_i| per sample i: |J(z_i)ᵀ y_i| up to the batch statistics' coupling,
        J the generator's Jacobian with respect to all of z (self-conditioned, through the
        cluster weights z picks too), y a random image direction scaled so that the
        lengths do not depend on the image size."""
        with tf.GradientTape() as tape:
            tape.watch(z)
            w = self._class_weights(z, labels) if self.conditional else None
            # Training-mode batch norm, as the adversarial loss sees the generator: through
            # the batch statistics each sample's length also carries a little of the others'
            # (the gradient of the whole batch's projection). Inference mode, tried first,
            # trained normalisation parameters that the critic never sees, and the averaged
            # generator's samples went grey within three epochs.
            images = tf.cast(self.generator(self._inputs(z, w), training=True), tf.float32)
            pixels = tf.cast(tf.reduce_prod(tf.shape(images)[1:]), tf.float32)
            y = tf.random.stateless_normal(tf.shape(images), seed=seed) / tf.sqrt(pixels)
            projected = tf.reduce_sum(images * y)
        grad = tape.gradient(projected, z)
        return tf.sqrt(tf.reduce_sum(tf.square(grad), axis=1) + 1e-8)

    def path_penalty(self, z, labels):
        """The mean squared deviation of the path lengths from their running mean, which
        moves towards this batch's mean. Call inside the generator's tape."""
        n = tf.maximum(tf.shape(z)[0] // self.PATH_BATCH_FRACTION, 1)
        seed = tf.cast(self.noise_seed.next(), tf.int64)
        lengths = self.path_lengths(z[:n], None if labels is None else labels[:n], seed)
        target = self.path_mean + self.PATH_MEAN_DECAY * (tf.stop_gradient(tf.reduce_mean(lengths)) - self.path_mean)
        self.path_mean.assign(target)
        return tf.reduce_mean(tf.square(lengths - target))

    def train_step(self, data):
        real, labels = data
        batch = tf.shape(real)[0]
        z = self._noise(batch)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake_w = self._class_weights(z, labels) if self.conditional else None
            fake = self.generator(self._inputs(z, fake_w), training=True)
            real_w = None
            if self.conditional:  # one-hot digits or clusters, or soft cluster weights as given
                real_w = tf.one_hot(labels, self.num_classes) if labels.dtype.is_integer else labels
            real_out = tf.cast(self.discriminator(self._inputs(real, real_w), training=True), tf.float32)
            critic_w = tf.one_hot(tf.argmax(fake_w, -1), self.num_classes) if self.hard_critic else fake_w
            fake_out = tf.cast(self.discriminator(self._inputs(fake, critic_w), training=True), tf.float32)
            g_loss, d_loss = self.gan_losses(real_out, fake_out)
            g_total = g_loss
            if self.path_reg > 0:
                penalty = self.path_penalty(z, labels if self.conditional else None)
                self.path_tracker.update_state(penalty)
                g_total = g_loss + self.path_reg * penalty
            # Under a tf.distribute strategy gradients are summed across replicas.
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            g_scaled, d_scaled = g_total / replicas, d_loss / replicas
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
        if self.path_mean is not None:
            add("path/mean", self.path_mean)
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
