"""The project installs and tests the way its README says, and CI does exactly that.

A green CI once hid a README whose `pytest` could not import the test tree (CI called
`python -m pytest`, which puts the working directory on sys.path). These tests tie the
README's Set-up block, `.ci/run` and the installed environment together.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from importlib import metadata
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# Every distribution that installs the `tensorflow` package. tf-keras requires the plain
# `tensorflow` wheel, so any second one here means two ~600 MB wheels writing one package.
TENSORFLOW_DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-intel",
                            "tensorflow-macos", "tensorflow-aarch64", "tf-nightly", "tf-nightly-cpu")


def readme_setup_commands(readme: str) -> list[str]:
    """The shell commands of the fenced block under the README's `## Set-up` heading."""
    section = re.search(r"^## Set-up\s*$(.*?)^## ", readme, re.S | re.M)
    assert section, "README has no '## Set-up' section"
    block = re.search(r"^```(?:sh|bash|console)?\s*$(.*?)^```", section.group(1), re.S | re.M)
    assert block, "README's Set-up section has no fenced code block"
    return [line.strip() for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def ci_commands(script: str) -> list[str]:
    """The command lines `.ci/run` executes (comments and blank lines dropped)."""
    return [line.strip() for line in script.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_readme_gives_exactly_an_install_and_a_test_command():
    commands = readme_setup_commands((REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(commands) == 2, commands
    install, test = (shlex.split(c) for c in commands)
    assert install[:2] == ["pip", "install"], install
    assert test[0] == "pytest", test


def test_ci_runs_the_readme_commands_verbatim():
    commands = readme_setup_commands((REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    script = ci_commands((REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8"))
    for command in commands:
        # the command must stand as a line of its own (trailing `|| …` / `; …` allowed),
        # so that `python -m pytest` or an extra flag in CI cannot pass for `pytest`
        assert any(re.fullmatch(re.escape(command) + r"(\s*(\|\||;|&&).*)?", line) for line in script), (
            f"README's set-up command {command!r} is not run verbatim by .ci/run")


def test_readme_check_notices_a_disagreement():
    # the check above must be able to fail: a CI script that runs `python -m pytest` does not match
    readme = "## Set-up\n\n```sh\npip install -e '.[test]'\npytest\n```\n\n## Next\n"
    commands = readme_setup_commands(readme)
    script = ci_commands("pip install -e '.[test]'\npython -m pytest\n")
    assert not any(re.fullmatch(re.escape(commands[1]) + r"(\s*(\|\||;|&&).*)?", line) for line in script)


def installed_tensorflow_distributions() -> list[str]:
    """Names of the installed distributions that ship the `tensorflow` package."""
    names = {(dist.metadata["Name"] or "").lower().replace("_", "-") for dist in metadata.distributions()}
    return sorted(names & set(TENSORFLOW_DISTRIBUTIONS))


def test_exactly_one_tensorflow_distribution_is_installed():
    assert installed_tensorflow_distributions() == ["tensorflow"]


def test_pyproject_depends_on_the_tensorflow_wheel_tf_keras_requires():
    pyproject = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    pinned = re.findall(r'"(tensorflow[\w-]*|tf-nightly[\w-]*)\s*[=<>~!]', pyproject)
    assert pinned == ["tensorflow"], pinned
    requires = metadata.requires("tf-keras") or []
    assert any(re.match(r"tensorflow\b(?![-\w])", r) for r in requires), requires


def tracked_files() -> list[str]:
    """Paths git tracks in this checkout, relative to the repository root."""
    try:
        listing = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [name for name in listing.stdout.decode("utf-8").split("\0") if name]


def test_no_tracked_file_cites_a_context_md_the_repository_lacks():
    # files once sent the reader there for their facts, and it was never committed; the name is
    # assembled so that this test does not cite it too
    cited = "CONTEXT" + ".md"
    files = tracked_files()
    if cited in files:
        return
    citing = [name for name in files
              if (REPO_ROOT / name).is_file() and cited.encode() in (REPO_ROOT / name).read_bytes()]
    assert citing == [], f"{citing} cite {cited}, which the repository does not contain: state the fact instead"
