"""The GAN's train step on each backend, side by side; the recipe itself is `training/gan.py`.

Both steps do the same thing, the reference recipe's step: one noise batch, one forward
pass (`GAN.forward`), the losses (`GAN.gan_losses`), G's gradients of G's loss and D's
gradients of D's loss applied simultaneously by the one Adam, then the generator average
(`GAN.averaged`) and the metrics (`GAN.update_metrics`). What differs is only how
gradients are taken and how state is carried, following the keras-io guides
"Customizing what happens in fit()" for TensorFlow and for JAX:

- TensorFlow: Keras calls `train_step(data)` inside a `tf.function`; variables are
  assigned in place, gradients come from two `GradientTape`s, and under a `tf.distribute`
  strategy (MirroredStrategy, MultiWorkerMirroredStrategy) each replica runs the step on
  its share of the batch and the optimizer sums the replicas' gradients.
- JAX: Keras jits `train_step(state, data)`, a pure function of the variables' values
  (`state`: trainable, non-trainable, optimizer and metric values, in Keras' orders) that
  returns the new values. The networks run through `stateless_call`; `jax.vjp` (the
  general form of `jax.value_and_grad`) gives both losses from one forward pass and each
  network's gradient from its own pullback; `optimizer.stateless_apply` applies them.
  Under `keras.distribution.DataParallel` the same program runs over the global batch,
  sharded across the devices, so losses are global means and nothing is divided.
"""

from __future__ import annotations

import keras


def replica() -> tuple:
    """(this replica's index, the number of replicas) of the step being traced.

    On TensorFlow, a tf.distribute strategy runs one copy of the step per replica; on
    JAX the step is one program for every device, so (0, 1).
    """
    if keras.backend.backend() != "tensorflow":
        return 0, 1
    import tensorflow as tf

    ctx = tf.distribute.get_replica_context()
    count = tf.distribute.get_strategy().num_replicas_in_sync
    return (ctx.replica_id_in_sync_group if ctx is not None else 0), count


def tensorflow_train_step(gan, data):
    import tensorflow as tf

    real, labels = data
    z = gan.draw_noise(tf.shape(real)[0])
    with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
        real_out, fake_out = gan.forward(lambda x: gan.generator(x, training=True),
                                         lambda x: gan.discriminator(x, training=True), real, labels, z)
        g_loss, d_loss = gan.gan_losses(real_out, fake_out)
        # Under a tf.distribute strategy gradients are summed across replicas.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        g_scaled, d_scaled = g_loss / replicas, d_loss / replicas
    g_vars = gan.generator.trainable_variables
    d_vars = gan.discriminator.trainable_variables
    grads = g_tape.gradient(g_scaled, g_vars) + d_tape.gradient(d_scaled, d_vars)
    gan.optimizer.apply_gradients(zip(grads, g_vars + d_vars))
    if gan.ema_generator is not None:
        averages = gan.ema_generator.weights
        for avg, new in zip(averages, gan.averaged(averages, gan.generator.weights)):
            avg.assign(new)
    logs = gan.update_metrics(g_loss, d_loss, real_out, fake_out)
    if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
        # Keras 3 all-reduces step outputs across workers with axis=0, which fails for
        # scalars; as length-1 vectors they come back as the scalar mean over replicas.
        return {k: tf.reshape(v, [1]) for k, v in logs.items()}
    return logs


def jax_train_step(gan, state, data):
    import jax
    import jax.numpy as jnp

    trainable, non_trainable, optimizer_values, metric_values = state
    real, labels = data
    # Every variable's current value, by the variable; what the step changes is replaced.
    values = {id(v): x for v, x in zip(gan.trainable_variables, trainable)}
    values.update({id(v): x for v, x in zip(gan.non_trainable_variables, non_trainable)})

    def current(variables):
        return [values[id(v)] for v in variables]

    def update(variables, new):
        values.update({id(v): x for v, x in zip(variables, new)})

    G, D = gan.generator, gan.discriminator
    seed = gan.noise_seed.state
    with keras.StatelessScope(state_mapping=[(seed, values[id(seed)])]) as scope:
        z = gan.draw_noise(real.shape[0])
    update([seed], [scope.get_current_value(seed)])

    def losses(g_weights, d_weights):
        """Both losses of one forward pass; the networks' new non-trainable state as aux."""
        moving = {"g": current(G.non_trainable_variables), "d": current(D.non_trainable_variables)}

        def generate(x):
            out, moving["g"] = G.stateless_call(g_weights, moving["g"], x, training=True)
            return out

        def discriminate(x):
            out, moving["d"] = D.stateless_call(d_weights, moving["d"], x, training=True)
            return out

        real_out, fake_out = gan.forward(generate, discriminate, real, labels, z)
        return gan.gan_losses(real_out, fake_out), (real_out, fake_out, moving)

    g_vars, d_vars = G.trainable_variables, D.trainable_variables
    (g_loss, d_loss), pullback, (real_out, fake_out, moving) = jax.vjp(
        losses, current(g_vars), current(d_vars), has_aux=True)
    one, zero = jnp.ones_like(g_loss), jnp.zeros_like(d_loss)
    g_grads, _ = pullback((one, zero))  # G's gradient of G's loss
    _, d_grads = pullback((zero, one))  # D's gradient of D's loss
    new_weights, optimizer_values = gan.optimizer.stateless_apply(
        optimizer_values, g_grads + d_grads, current(g_vars + d_vars))
    update(g_vars + d_vars, new_weights)
    update(G.non_trainable_variables, moving["g"])
    update(D.non_trainable_variables, moving["d"])
    if gan.ema_generator is not None:
        averages = gan.ema_generator.weights
        update(averages, gan.averaged(current(averages), current(G.weights)))

    with keras.StatelessScope(state_mapping=list(zip(gan.metrics_variables, metric_values))) as scope:
        logs = gan.update_metrics(g_loss, d_loss, real_out, fake_out)
    metric_values = [scope.get_current_value(v) for v in gan.metrics_variables]
    return logs, (current(gan.trainable_variables), current(gan.non_trainable_variables),
                  optimizer_values, metric_values)
