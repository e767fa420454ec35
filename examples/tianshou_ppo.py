"""Train tianshou's PPO on the registered ids (tianshou 2.x, its low-level API).

    python examples/tianshou_ppo.py --env MetaBandit-v0 --epochs 10 --steps 4000

tianshou takes the gymnasium envs as they are: ``gym.make(id)`` inside its vector env. The bandit
gets a categorical policy over the arms; the prediction tasks a Gaussian policy over the
predictive's parameters, which tianshou scales into the declared action bounds. The policy is a
feed-forward network, so it sees only the last step (use an LSTM for real meta-learning: the
agent has to remember the episode). Needs ``pip install "bayes-meta-envs[train,clients]"``.
"""

from __future__ import annotations

import argparse
import warnings

import gymnasium as gym
import torch
from tianshou.algorithm import PPO
from tianshou.algorithm.modelfree.reinforce import DiscreteActorPolicy, ProbabilisticActorPolicy
from tianshou.algorithm.optim import AdamOptimizerFactory
from tianshou.data import Collector, VectorReplayBuffer
from tianshou.env import DummyVectorEnv
from tianshou.trainer import OnPolicyTrainerParams
from tianshou.utils.net.common import Net
from tianshou.utils.net.continuous import ContinuousActorProbabilistic, ContinuousCritic
from tianshou.utils.net.discrete import DiscreteActor, DiscreteCritic

import bayes_meta_envs  # noqa: F401  (registers the ids)

# tianshou 2.0 warns about action scaling whenever max_action is 1, even for unbounded=True actors
warnings.filterwarnings("ignore", message="action_scaling and action_bound_method")


def gaussian(loc_scale: tuple[torch.Tensor, torch.Tensor]) -> torch.distributions.Distribution:
    loc, scale = loc_scale
    return torch.distributions.Independent(torch.distributions.Normal(loc, scale), 1)


def make_algorithm(env: gym.Env) -> PPO:
    obs_dim = env.observation_space.shape[0]
    optim = AdamOptimizerFactory(lr=3e-4)
    if isinstance(env.action_space, gym.spaces.Discrete):
        n = int(env.action_space.n)
        actor = DiscreteActor(
            preprocess_net=Net(state_shape=obs_dim, hidden_sizes=[64]), action_shape=n
        )
        policy = DiscreteActorPolicy(actor=actor, action_space=env.action_space)
        critic = DiscreteCritic(preprocess_net=Net(state_shape=obs_dim, hidden_sizes=[64]))
    else:
        act_dim = env.action_space.shape[0]
        actor = ContinuousActorProbabilistic(
            preprocess_net=Net(state_shape=obs_dim, hidden_sizes=[64]),
            action_shape=act_dim,
            unbounded=True,
        )
        policy = ProbabilisticActorPolicy(
            actor=actor, dist_fn=gaussian, action_space=env.action_space
        )
        critic = ContinuousCritic(preprocess_net=Net(state_shape=obs_dim, hidden_sizes=[64]))
    return PPO(policy=policy, critic=critic, optim=optim, gamma=1.0)


def train(
    env_id: str, epochs: int, steps: int, test_episodes: int = 10, n_envs: int = 4, seed: int = 0
) -> float:
    """Train PPO on ``env_id``; return the mean return of the last test episodes."""
    torch.manual_seed(seed)  # a script, not the library: seeding torch here is the user's call
    train_envs = DummyVectorEnv([lambda: gym.make(env_id) for _ in range(n_envs)])
    test_envs = DummyVectorEnv([lambda: gym.make(env_id) for _ in range(2)])
    train_envs.seed(seed)
    test_envs.seed(seed + 1000)
    algorithm = make_algorithm(gym.make(env_id))
    train_collector = Collector(algorithm, train_envs, VectorReplayBuffer(2000, n_envs))
    test_collector = Collector(algorithm, test_envs)
    result = algorithm.run_training(
        OnPolicyTrainerParams(
            training_collector=train_collector,
            test_collector=test_collector,
            max_epochs=epochs,
            epoch_num_steps=steps,
            collection_step_num_env_steps=min(steps, 400),
            batch_size=min(steps, 200),
            update_step_num_repetitions=2,
            test_step_num_episodes=test_episodes,
            show_progress=False,
            verbose=False,
        )
    )
    return float(result.best_reward)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", nargs="+", default=["MetaBandit-v0"], help="registered ids")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--steps", type=int, default=4000, help="env steps per epoch")
    parser.add_argument("--test-episodes", type=int, default=10, help="episodes per test")
    args = parser.parse_args(argv)
    best = {}
    for env_id in args.env:
        best[env_id] = train(env_id, args.epochs, args.steps, args.test_episodes)
        print(f"{env_id}: best test return {best[env_id]:.3f}")
    return best


if __name__ == "__main__":
    main()
