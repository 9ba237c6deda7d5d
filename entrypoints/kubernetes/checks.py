"""The options checked the way the service checks its settings, before any manifest is built."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from entrypoints.kubernetes.environment import config_data, placeholder_secrets
from entrypoints.kubernetes.options import Options
from entrypoints.settings import Settings, SettingsError

# An RFC 1123 label: what Kubernetes accepts as a namespace or Secret name.
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
# Registry, path, tag and digest characters; no space, quote or shell metacharacter.
_IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,254}$")


class OptionError(ValueError):
    """One line saying which option is wrong and why."""


def check(options: Options) -> Options:
    """The options, or an OptionError naming the first one that is wrong."""
    for name, value in (("--namespace", options.namespace), ("--secret", options.secret_name)):
        if not _LABEL.match(value):
            raise OptionError(f"{name} {value!r}: lower-case letters, digits and '-', ≤ 63")
    if not _IMAGE.match(options.image):
        raise OptionError(f"--image {options.image!r}: not an image reference")
    if options.max_replicas < options.replicas:
        raise OptionError(f"--max-replicas {options.max_replicas} is below --replicas")
    if urlparse(options.redis_url).password is not None:
        raise OptionError("--redis-url: the password goes in the Secret (REDIS_PASSWORD)")
    try:
        Settings.from_env({**config_data(options), **placeholder_secrets(options)})
    except SettingsError as error:
        raise OptionError(str(error)) from None
    return options
