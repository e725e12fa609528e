"""Typed stack configuration: `load_stack_config()` is the only way the program reads Pulumi config."""

from config.loader import ConfigError, Problem, load_stack_config, parse_stack_config
from config.model import PROJECT, Environment, TaintEffect
from config.stack import StackConfig

__all__ = [
    "PROJECT",
    "ConfigError",
    "Environment",
    "Problem",
    "StackConfig",
    "TaintEffect",
    "load_stack_config",
    "parse_stack_config",
]
