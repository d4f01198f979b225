"""The WGAN-GP training settings that tell ADGAN's variants apart, and their command-line flags.

This module imports no TensorFlow, so a script can declare its flags from :data:`WGAN_SETTINGS`
before :func:`tfgan_ad.runs.set_threads` (which must run before any TensorFlow op).
"""

from __future__ import annotations

from typing import NamedTuple


class WGANSetting(NamedTuple):
    """A WGAN-GP training setting that tells ADGAN's variants apart."""

    field: str       # the OneVsAllRun field (and the records' key)
    legacy: object   # its value in every record from before the field existed
    tag: str         # names any other value in checkpoint dirs and score files
    label: str       # names it in the reports
    kind: type       # int or float: the flag's type
    help: str        # what the flag sets


#: The WGAN-GP settings (besides its length) that tell ADGAN's variants apart, in the order of
#: their tags in names. A setting at its legacy value is left out of names and ADGAN records, and
#: readers treat a missing field as its legacy value, so the checkpoints, score files and records
#: written before its field existed keep matching.
WGAN_SETTINGS = (
    WGANSetting("wgan_width", 1, "w", "width", int, "channel multiplier of the DCGAN nets"),
    WGANSetting("wgan_lr", 1e-4, "lr", "Adam step", float, "Adam step of both nets"),
    WGANSetting("wgan_batch", 64, "batch", "batch", int, "batch"),
    WGANSetting("wgan_n_critic", 5, "ncritic", "n_critic", int,
                "critic updates per generator update"),
    WGANSetting("wgan_beta_1", 0.5, "wbeta", "nets' Adam β₁", float, "Adam β₁ of both nets"),
    WGANSetting("wgan_latent_dim", 256, "z", "latent size", int,
                "latent size"),
    WGANSetting("wgan_gp_weight", 10.0, "gp", "gradient-penalty λ", float,
                "gradient-penalty weight λ"),
    WGANSetting("wgan_clip", 0.0, "clip", "critic weight clip", float,
                "critic weight clip c (0: none); c > 0 is Arjovsky et al.'s weight-clipped WGAN: "
                "both nets train with RMSprop at the Adam step's flag (β₁ unused)"),
    WGANSetting("wgan_rmsprop_eps", 1e-8, "eps", "RMSprop ε", float,
                "RMSprop ε, inside the square root as Keras adds it (used only with a clip; "
                "1e-16 matches Arjovsky et al.'s PyTorch RMSprop, the run's 1e-8 does not)"),
)


def define_wgan_flags(flags, of: str = "", flag_values=None) -> None:
    """Declare an absl flag per :data:`WGAN_SETTINGS` entry (named like its field, default
    ``None`` = the run's value, see ``OneVsAllRun.replace_given``); ``of`` ends each help
    text (e.g. ``" of the checkpoint to use"``). ``flags`` is ``absl.flags``;
    ``flag_values`` a ``FlagValues`` other than ``flags.FLAGS``."""
    flags.disclaim_key_flags()  # the flags belong to the calling script (its --helpshort)
    define = {int: flags.DEFINE_integer, float: flags.DEFINE_float}
    for st in WGAN_SETTINGS:
        define[st.kind](st.field, None, f"WGAN-GP {st.help}{of} (default: OneVsAllRun's, "
                        f"usually {st.legacy:g})",
                        flag_values=flags.FLAGS if flag_values is None else flag_values)


def wgan_settings_of(values) -> dict:
    """{field: value} of :data:`WGAN_SETTINGS` read off ``values`` (a run, or parsed flags named
    like the fields; ``None`` = not given, see ``OneVsAllRun.replace_given``)."""
    return {st.field: getattr(values, st.field) for st in WGAN_SETTINGS}
