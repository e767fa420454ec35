"""One training update of the LSTM: PPO/A2C for bandits, BPTT on the log-loss for prediction.

Every rollout is exactly one ``horizon``-step episode per sub-env (all sub-envs share the
horizon), so the LSTM state starts at zero and gradients flow through the whole episode.

* Bandits (:func:`bandit_update`): the episode is sampled without gradients
  (:func:`collect_bandit_episode`); the update recomputes the whole sequences with
  :class:`torch.nn.LSTM` and minimises the PPO clipped loss (Schulman et al. 2017) with GAE(gamma,
  lambda) advantages (Schulman et al. 2016, :func:`gae`), normalised per minibatch, a value loss, an
  entropy term (a bonus, or a penalty when its coefficient is negative) and, while the trainer holds
  a logit cap, :func:`logit_cap_penalty`. With one epoch and one minibatch the ratio is 1 and the
  update is exactly A2C. The learning signal is ``config.reward_signal``: the sampled Bernoulli
  reward the agent sees, the *expected* reward ``p_a`` of the pulled arm (read from the env's
  ``info["task"]``), or ``p_a - max_k p_k`` (the return is then minus the pseudo-regret): the last
  two have the same expected gradient as the first and much less variance (Rao-Blackwellisation plus
  a task-dependent baseline). The agent itself only ever observes the sampled reward.
* Prediction (:func:`prediction_update`): the log-loss ``-log q_{a_t}(x_t)``, the negative of the
  env's reward, is minimised directly by BPTT; the log-likelihoods are
  :func:`~bayes_meta_envs.agents.lstm.torch_families.torch_log_likelihood`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from bayes_meta_envs.agents.lstm.config import LSTMConfig
from bayes_meta_envs.agents.lstm.net import LSTMNet
from bayes_meta_envs.agents.lstm.torch_families import torch_log_likelihood
from bayes_meta_envs.envs import MetaVectorEnv
from bayes_meta_envs.task import MetaTask


@dataclass(frozen=True)
class BanditEpisode:
    """One episode of every sub-env, time-major ``(T, B, ...)``."""

    obs: np.ndarray  # float32 (T, B, obs_dim)
    actions: np.ndarray  # int64 (T, B)
    signal: np.ndarray  # the learning signal (T, B)
    sampled: np.ndarray  # the rewards the agent saw (T, B)
    logp: torch.Tensor  # log-probabilities of the actions taken (T, B)
    values: torch.Tensor  # value estimates (T, B)


def collect_bandit_episode(
    net: LSTMNet,
    vec: MetaVectorEnv,
    reset_seed: int,
    torch_gen: torch.Generator,
    reward_signal: str,
    horizon: int,
) -> BanditEpisode:
    """Run the policy for one episode on ``vec`` (reset with ``reset_seed``), without gradients.

    The env's ``info`` is read only for the privileged signals (``"expected"``, ``"regret"``);
    under ``"sampled"`` the learner sees what the agent sees.
    """
    obs, _ = vec.reset(seed=reset_seed)
    device = next(net.parameters()).device
    T, B = horizon, vec.num_envs
    obs_buf = np.zeros((T, B, obs.shape[1]), dtype=np.float32)
    act_buf = np.zeros((T, B), dtype=np.int64)
    signal = np.zeros((T, B))
    sampled = np.zeros((T, B))
    logp_buf = torch.zeros(T, B, device=device)
    val_buf = torch.zeros(T, B, device=device)
    hc = None
    rows = np.arange(B)
    with torch.no_grad():
        for t in range(T):
            obs_buf[t] = obs
            out, hc = net(torch.from_numpy(obs).to(device)[None], hc)
            logits, value = net.policy_value(out[0])
            logp_all = torch.log_softmax(logits, dim=-1)
            a = torch.multinomial(logp_all.exp(), 1, generator=torch_gen)[:, 0]
            logp_buf[t] = logp_all.gather(1, a[:, None])[:, 0]
            val_buf[t] = value
            an = a.cpu().numpy()
            act_buf[t] = an
            obs, r, _, _, info = vec.step(an)
            sampled[t] = r
            if reward_signal == "sampled":
                signal[t] = r
            else:
                p = info["task"]
                signal[t] = p[rows, an]
                if reward_signal == "regret":
                    signal[t] -= p.max(axis=1)
    return BanditEpisode(obs_buf, act_buf, signal, sampled, logp_buf, val_buf)


def gae(rewards: np.ndarray, values: np.ndarray, gamma: float, lam: float) -> np.ndarray:
    """GAE(gamma, lambda) advantages ``(T, B)`` of one episode, with ``V(s_T) = 0``."""
    T = rewards.shape[0]
    adv = np.zeros_like(rewards)
    last = np.zeros(rewards.shape[1])
    for t in reversed(range(T)):
        nxt = values[t + 1] if t + 1 < T else 0.0
        delta = rewards[t] + gamma * nxt - values[t]
        last = delta + gamma * lam * last
        adv[t] = last
    return adv


def step_baseline(signal: np.ndarray, gamma: float) -> np.ndarray:
    """Per-step baseline ``(T, B)``: for each episode, the mean discounted return-to-go at step
    ``t`` of the *other* episodes of the batch (leave-one-out, so it does not depend on the
    episode's own rewards and the policy gradient stays unbiased).

    Without it the critic must learn the return-to-go's dependence on time (about ``(T - t) / 2``
    for the default bandit) by counting steps inside the LSTM, and while it does the value loss
    dominates the clipped gradient; with it the critic only learns the residual, a quantity of
    the size of the rewards.
    """
    T, B = signal.shape
    if B < 2:
        return np.zeros_like(signal)
    ret = np.zeros_like(signal)
    acc = np.zeros(B)
    for t in reversed(range(T)):
        acc = signal[t] + gamma * acc
        ret[t] = acc
    return (ret.sum(axis=1, keepdims=True) - ret) / (B - 1)


def logit_cap_penalty(logits: torch.Tensor, cap: float) -> torch.Tensor:
    """Mean squared excess of the logit spread (largest minus smallest logit over the last axis)
    over ``cap``: zero while every arm keeps a probability of at least about ``exp(-cap) / K``."""
    spread = logits.amax(dim=-1) - logits.amin(dim=-1)
    return torch.relu(spread - cap).pow(2).mean()


def bandit_update(
    net: LSTMNet,
    optimizer: torch.optim.Optimizer,
    vec: MetaVectorEnv,
    reset_seed: int,
    torch_gen: torch.Generator,
    config: LSTMConfig,
    horizon: int,
    ent_coef: float,
    logit_cap: float | None = None,
) -> dict[str, float]:
    """Sample one episode per sub-env and take ``n_epochs x ppo_minibatches`` PPO steps
    (with :func:`logit_cap_penalty` in the loss when ``logit_cap`` is given)."""
    c, B = config, vec.num_envs
    ep = collect_bandit_episode(net, vec, reset_seed, torch_gen, c.reward_signal, horizon)
    device = ep.values.device
    base = step_baseline(ep.signal, c.gamma) if c.step_baseline else np.zeros_like(ep.signal)
    values = ep.values.cpu().numpy().astype(np.float64) + base
    adv = gae(ep.signal, values, c.gamma, c.gae_lambda)
    obs_t = torch.from_numpy(ep.obs).to(device)
    act_t = torch.from_numpy(ep.actions).to(device)
    adv_t = torch.as_tensor(adv, dtype=torch.float32).to(device)
    # the value head learns the lambda-return minus the per-step baseline
    ret_t = torch.as_tensor(adv + values - base, dtype=torch.float32).to(device)
    stats: dict[str, list[float]] = {"policy_loss": [], "value_loss": [], "entropy": []}
    for _ in range(c.n_epochs):
        perm = torch.randperm(B, generator=torch_gen, device=torch_gen.device)
        for mb in perm.chunk(c.ppo_minibatches):
            hidden, _ = net(obs_t[:, mb])
            logits, value = net.policy_value(hidden)
            logp_all = torch.log_softmax(logits, dim=-1)
            logp = logp_all.gather(2, act_t[:, mb, None])[..., 0]
            entropy = -(logp_all.exp() * logp_all).sum(-1).mean()
            a_mb = adv_t[:, mb]
            a_mb = (a_mb - a_mb.mean()) / (a_mb.std() + 1e-8)
            ratio = torch.exp(logp - ep.logp[:, mb])
            clipped = ratio.clamp(1 - c.clip_range, 1 + c.clip_range)
            pg = -torch.min(ratio * a_mb, clipped * a_mb).mean()
            vloss = 0.5 * (value - ret_t[:, mb]).pow(2).mean()
            loss = pg + c.vf_coef * vloss - ent_coef * entropy
            if logit_cap is not None:
                loss = loss + logit_cap_penalty(logits, logit_cap)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), c.max_grad_norm)
            optimizer.step()
            stats["policy_loss"].append(float(pg.detach()))
            stats["value_loss"].append(float(vloss.detach()))
            stats["entropy"].append(float(entropy.detach()))
    out = {k: float(np.mean(v)) for k, v in stats.items()}
    out["return"] = float(ep.sampled.sum(axis=0).mean())
    out["entropy_coef"] = ent_coef
    return out


def prediction_update(
    net: LSTMNet,
    optimizer: torch.optim.Optimizer,
    vec: MetaVectorEnv,
    reset_seed: int,
    task: MetaTask,
    max_grad_norm: float,
) -> dict[str, float]:
    """One episode per sub-env with gradients, then one Adam step on the mean log-loss."""
    family, layout = task.family, task.layout
    device = next(net.parameters()).device
    obs, _ = vec.reset(seed=reset_seed)
    hc = None
    losses = []
    for _ in range(task.horizon):
        out, hc = net(torch.from_numpy(obs).to(device)[None], hc)
        action = net.prediction(out[0])
        obs, _, _, _, _ = vec.step(action.detach().cpu().numpy())
        x = family.decode(obs[:, layout.features])
        x_t = torch.as_tensor(x, dtype=torch.float32).to(device)
        ll = torch_log_likelihood(family, action, x_t)
        losses.append(-ll.mean())
    loss = torch.stack(losses).mean()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), max_grad_norm)
    optimizer.step()
    return {"log_loss": float(loss.detach())}
