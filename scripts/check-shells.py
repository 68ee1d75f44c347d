#!/usr/bin/env python3
"""Checks the Android and iOS shells where neither can be built (no Android SDK, no Xcode):

1. every Kotlin (`.kt`), Kotlin script (`.kts`, the Gradle files) and Swift file under android/ and
   ios/ parses (tree-sitter) with no ERROR or MISSING node: main, debug and release source sets,
   tests, view models and the apps alike (what git ignores, such as build output and generated
   bindings, is left out); it prints how many files it parsed;
2. the plain view-model code imports no platform UI (android.*, androidx.*, SwiftUI, UIKit);
3. the Gradle settings name modules that exist, each with its build file;
4. the XcodeGen spec names files, folders and package products that exist;
5. the four string tables (Android en/ko, iOS en/ko) have exactly the same keys, and every key the
   view models, the screens (R.string.x, UiText("x")) and the Swift views use is in them;
6. Android's TLS set-up (docs/mobile.md): DoorpassApplication.onCreate calls PlatformTls.init, whose
   `external fun init(context: Context)` matches the JNI function in core/ffi/src/android_tls.rs;
   :doorpass depends on rustls-platform-verifier's Kotlin library from its authors' Maven repository
   at the Cargo.lock version; consumer-rules.pro keeps that library for R8.
7. no cleartext or network-security exception in the Android files a release build ships (src/main,
   src/release): the QA machine's plain-http exception stays in src/debug.

Usage: check-shells.py REPO. Prints one line per check and `check-shells: N problems`; exits 1 on any.
"""

import plistlib
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import tree_sitter_kotlin
import tree_sitter_swift
from tree_sitter import Language, Parser

problems: list[str] = []


def problem(text: str) -> None:
    problems.append(text)
    print(f"  PROBLEM: {text}")


def error_nodes(tree) -> list[str]:
    """Where a tree has ERROR or MISSING nodes, as `line:column kind`."""
    found, stack = [], [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            found.append(f"{node.start_point[0] + 1}:{node.start_point[1] + 1} {node.type}")
        stack.extend(node.children)
    return found


# Valid Swift the pinned grammar (tree-sitter-swift 0.7.4) does not parse, each with a rewrite of
# the same length that it does, so line and column numbers stay right. The Swift compiler checks the
# real text wherever Swift runs (scripts/test-bindings.sh, the iOS workflow).
SWIFT_GRAMMAR_GAPS = [
    # `switch await task.result {` (Swift 5.5): the grammar wants no `await` after `switch`.
    (re.compile(rb"(\bswitch\s+(?:try\s+)?)await(\s)"), lambda m: m.group(1) + b"     " + m.group(2)),
]


def around_grammar_gaps(source: bytes, what: str) -> bytes:
    if what != "swift":
        return source
    for pattern, rewrite in SWIFT_GRAMMAR_GAPS:
        source = pattern.sub(rewrite, source)
    return source


def parse_all(files: list[Path], language: Language, what: str, repo: Path) -> None:
    parser = Parser(language)
    for path in files:
        errors = error_nodes(parser.parse(around_grammar_gaps(path.read_bytes(), what)))
        status = "ok" if not errors else f"{len(errors)} error nodes ({', '.join(errors[:3])})"
        print(f"parse {what}: {path.relative_to(repo)}: {status}")
        if errors:
            problem(f"{path.relative_to(repo)} does not parse: {', '.join(errors[:5])}")


# Folders of build output, never sources, when git cannot tell what it ignores.
BUILD_FOLDERS = {"build", ".build", ".gradle", ".swiftpm", "DerivedData"}
SOURCE_SUFFIXES = (".kt", ".kts", ".swift")


def shell_sources(repo: Path) -> list[Path]:
    """Every Kotlin, Kotlin script and Swift file under android/ and ios/: the files git tracks or
    would track (not ignored), or, outside a git checkout, every such file outside build folders."""
    try:
        listed = subprocess.run(
            ["git", "-C", str(repo), "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", "android", "ios"],
            check=True, capture_output=True,
        ).stdout.decode().split("\0")
        paths = [repo / name for name in listed if name]
    except (OSError, subprocess.CalledProcessError):
        paths = [
            p for top in ("android", "ios") for p in (repo / top).rglob("*")
            if not BUILD_FOLDERS & set(p.relative_to(repo).parts)
        ]
    return sorted({p for p in paths if p.suffix in SOURCE_SUFFIXES and p.is_file()})


def android_keys(path: Path) -> dict[str, str]:
    """A `strings.xml`'s keys: its `<string>`s, and its `<plurals>` by their `other` form."""
    root = ElementTree.parse(path).getroot()
    keys = {node.get("name"): node.text or "" for node in root.iter("string")}
    for node in root.iter("plurals"):
        other = [item.text or "" for item in node.iter("item") if item.get("quantity") == "other"]
        if not other:
            problem(f"{path}: plurals '{node.get('name')}' has no 'other' form")
        keys[node.get("name")] = other[0] if other else ""
    return keys


def ios_keys(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    pairs = re.findall(r'^"((?:[^"\\]|\\.)*)"\s*=\s*"((?:[^"\\]|\\.)*)";\s*$', text, re.M)
    lines = [l for l in text.splitlines() if l.strip() and not l.strip().startswith("/*")]
    if len(pairs) != len(lines):
        problem(f"{path}: {len(lines) - len(pairs)} lines are not `\"key\" = \"value\";`")
    return dict(pairs)


def ios_plural_keys(path: Path) -> dict[str, str]:
    """A `Localizable.stringsdict`'s keys, each by its `other` form with its one number (`%ld`)
    written `%1$s`, as the Android `<plurals>` write it, so that their placeholders compare."""
    if not path.exists():
        return {}
    keys = {}
    for key, entry in plistlib.loads(path.read_bytes()).items():
        rule = entry.get("n", {}) if isinstance(entry, dict) else {}
        if entry.get("NSStringLocalizedFormatKey") != "%#@n@" or "other" not in rule:
            problem(f"{path}: plural '{key}' is not one number (%#@n@) with an 'other' form")
            continue
        keys[key] = rule["other"].replace("%ld", "%1$s")
    return keys


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\d+\$s", text))


def check_strings(repo: Path) -> set[str]:
    tables = {
        "android en": android_keys(repo / "android/app/src/main/res/values/strings.xml"),
        "android ko": android_keys(repo / "android/app/src/main/res/values-ko/strings.xml"),
        "ios en": ios_keys(repo / "ios/App/Resources/en.lproj/Localizable.strings")
        | ios_plural_keys(repo / "ios/App/Resources/en.lproj/Localizable.stringsdict"),
        "ios ko": ios_keys(repo / "ios/App/Resources/ko.lproj/Localizable.strings")
        | ios_plural_keys(repo / "ios/App/Resources/ko.lproj/Localizable.stringsdict"),
    }
    reference_name, reference = next(iter(tables.items()))
    for name, table in tables.items():
        missing, extra = set(reference) - set(table), set(table) - set(reference)
        print(f"strings {name}: {len(table)} keys")
        if missing or extra:
            problem(f"strings {name} vs {reference_name}: missing {sorted(missing)}, extra {sorted(extra)}")
        for key in set(reference) & set(table):
            if placeholders(table[key]) != placeholders(reference[key]):
                problem(f"strings {name}: '{key}' has placeholders {sorted(placeholders(table[key]))}")
            if not table[key].strip():
                problem(f"strings {name}: '{key}' is empty")
    return set(reference)


def used_keys(repo: Path) -> dict[str, set[str]]:
    """String keys named in code, by where they are used."""
    uses: dict[str, set[str]] = {}
    patterns = [
        (repo / "android", "*.kt", r'UiText\(\s*"([a-z0-9_]+)"'),
        (repo / "android", "*.kt", r"R\.string\.([a-z0-9_]+)"),
        (repo / "android", "*.kt", r'"((?:error|refusal|kind|banner|qa|door|enrol|pass|age|trust)_[a-z0-9_]+)"'),
        (repo / "ios", "*.swift", r'UiText\(\s*(?:key:\s*)?"([a-z0-9_]+)"'),
        (repo / "ios", "*.swift", r'"((?:error|refusal|kind|banner|qa|door|enrol|pass|age|trust|tab|button|a11y|offline|countdown|reauth|app|notification)_[a-z0-9_]+)"'),
    ]
    for folder, glob, pattern in patterns:
        for path in folder.rglob(glob):
            if "/build/" in str(path) or "/test/" in str(path) or "/Tests/" in str(path):
                continue
            for key in re.findall(pattern, path.read_text(encoding="utf-8")):
                uses.setdefault(key, set()).add(str(path.relative_to(repo)))
    return uses



def check_release_network(repo: Path) -> None:
    """No plain-http or local-network exception reaches a release build: the network security
    config (cleartext to the QA machine's dev issuer) lives in src/debug only."""
    app = repo / "android/app/src"
    shipped = [p for folder in ("main", "release") for p in (app / folder).rglob("*.xml")] if app.exists() else []
    for path in shipped:
        text = path.read_text(encoding="utf-8")
        if re.search(r'usesCleartextTraffic\s*=\s*"true"|networkSecurityConfig|cleartextTrafficPermitted\s*=\s*"true"', text):
            problem(f"{path.relative_to(repo)}: a cleartext / network-security exception outside src/debug ships in release builds")
    print(f"release network: {len(shipped)} shipped Android XML files without a cleartext exception")

def check_gradle(repo: Path) -> None:
    settings = repo / "android/settings.gradle.kts"
    if not settings.exists():
        problem("android/settings.gradle.kts is missing")
        return
    modules = re.findall(r'"(:[A-Za-z0-9_-]+)"', settings.read_text())
    print(f"gradle modules: {', '.join(modules)}")
    for module in modules:
        build = repo / "android" / module[1:] / "build.gradle.kts"
        if not build.exists():
            problem(f"settings.gradle.kts names {module}, but {build.relative_to(repo)} is missing")
    catalog = repo / "android/gradle/libs.versions.toml"
    aliases = set(re.findall(r"^([A-Za-z0-9_-]+)\s*=", catalog.read_text(), re.M)) if catalog.exists() else set()
    for build in (repo / "android").rglob("*.gradle.kts"):
        text = build.read_text()
        for dep in re.findall(r'project\("(:[A-Za-z0-9_-]+)"\)', text):
            if dep not in modules:
                problem(f"{build.relative_to(repo)} depends on {dep}, which settings.gradle.kts does not include")
        for alias in re.findall(r"libs\.((?:plugins\.)?[A-Za-z0-9_.]+)", text):
            name = alias.removeprefix("plugins.").removeprefix("bundles.").replace(".", "-")
            if name not in aliases and name.removesuffix("-get") not in aliases:
                problem(f"{build.relative_to(repo)} uses libs.{alias}, not in libs.versions.toml")


def check_xcodegen(repo: Path) -> None:
    spec = repo / "ios/App/project.yml"
    if not spec.exists():
        problem("ios/App/project.yml is missing")
        return
    text = spec.read_text()
    base = spec.parent
    for path in re.findall(r"^\s*-?\s*(?:path:\s*)?([A-Za-z0-9_./-]+\.(?:swift|plist|strings|entitlements|xcassets))\s*$", text, re.M):
        if not (base / path).exists():
            problem(f"project.yml names {path}, which does not exist")
    for folder in re.findall(r"^\s*-\s*(?:path:\s*)?((?:Sources|Resources|\.\.)[A-Za-z0-9_./-]*)\s*$", text, re.M):
        if not (base / folder).exists():
            problem(f"project.yml names the folder {folder}, which does not exist")
    package = (repo / "ios/Package.swift").read_text()
    products = set(re.findall(r'\.library\(name:\s*"([A-Za-z0-9_]+)"', package))
    for product in re.findall(r"product:\s*([A-Za-z0-9_]+)", text):
        if product not in products:
            problem(f"project.yml uses the package product {product}; Package.swift has {sorted(products)}")
    print(f"xcodegen: {spec.relative_to(repo)} checked against the tree and Package.swift products {sorted(products)}")


def check_background_tasks(repo: Path) -> None:
    """The iOS background task identifiers of the view models (BackgroundRenewalTaskID) are all
    permitted in Info.plist and project.yml, and both background modes the two tasks need are on:
    BGTaskScheduler refuses to register or submit otherwise, which only a device would show."""
    source = (repo / "ios/Sources/DoorpassViewModels/BackgroundRenewal.swift").read_text(encoding="utf-8")
    ids = re.findall(r'static let (?:processing|refresh) = "([A-Za-z0-9.-]+)"', source)
    if len(ids) != 2:
        problem(f"BackgroundRenewalTaskID: expected the processing and refresh identifiers, found {ids}")
    with open(repo / "ios/App/Info.plist", "rb") as f:
        info = plistlib.load(f)
    spec = (repo / "ios/App/project.yml").read_text(encoding="utf-8")
    def yaml_list(key: str) -> list[str]:
        found = re.search(rf"^\s*{key}:\s*\[([^\]]*)\]", spec, re.M)
        return [part.strip() for part in found.group(1).split(",")] if found else []
    for where, permitted, modes in (
        ("Info.plist", info.get("BGTaskSchedulerPermittedIdentifiers", []), info.get("UIBackgroundModes", [])),
        ("project.yml", yaml_list("BGTaskSchedulerPermittedIdentifiers"), yaml_list("UIBackgroundModes")),
    ):
        for task in ids:
            if task not in permitted:
                problem(f"{where}: BGTaskSchedulerPermittedIdentifiers lacks {task}")
        for mode in ("fetch", "processing"):
            if mode not in modes:
                problem(f"{where}: UIBackgroundModes lacks {mode}")
    print(f"ios background tasks: {ids} permitted, modes fetch and processing")


def without_comments(text: str, marker: str = "//") -> str:
    """`text` without its comments, so a commented-out line counts as missing: `//` line comments
    and `/* */` blocks (Kotlin, Gradle, Rust), or `#` line comments (TOML, R8 rules)."""
    if marker == "#":
        return "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    # `//` at the start of a line or after a space: not the one in `https://`.
    return re.sub(r"(^|\s)//.*$", r"\1", text, flags=re.M)


def kotlin_function_body(tree, source: bytes, name: str) -> str | None:
    """The text of the first function called `name` in a parsed Kotlin file, or None."""
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "function_declaration":
            ident = next((c for c in node.children if c.type in ("simple_identifier", "identifier")), None)
            if ident is not None and source[ident.start_byte:ident.end_byte].decode() == name:
                return source[node.start_byte:node.end_byte].decode()
        stack.extend(reversed(node.children))
    return None


def check_platform_tls(repo: Path, kotlin: Language) -> None:
    """Android's TLS set-up: the init call, the Kotlin/JNI pair, the Gradle wiring, the R8 rule."""
    found = []

    def need(ok: bool, what: str, why: str) -> None:
        if ok:
            found.append(what)
        else:
            problem(f"Android TLS set-up: {why}")

    app = repo / "android/app/src/main/kotlin/org/doorpass/app/DoorpassApplication.kt"
    source = app.read_bytes() if app.exists() else b""
    on_create = kotlin_function_body(Parser(kotlin).parse(source), source, "onCreate") if source else None
    need(on_create is not None and re.search(r"\bPlatformTls\.init\(\s*this\s*\)", without_comments(on_create)),
         "PlatformTls.init(this) in DoorpassApplication.onCreate",
         f"{app.relative_to(repo)}: onCreate does not call PlatformTls.init(this), so every https call to the issuer fails")

    tls_kt = repo / "android/doorpass/src/main/java/org/doorpass/core/PlatformTls.kt"
    kt = without_comments(tls_kt.read_text(encoding="utf-8")) if tls_kt.exists() else ""
    need(re.search(r"^package org\.doorpass\.core\s*$", kt, re.M) and re.search(r"\bobject PlatformTls\b", kt)
         and re.search(r"@JvmStatic\s+external fun init\(\s*context:\s*Context\s*\)", kt)
         and 'System.loadLibrary("doorpass_ffi")' in kt,
         "PlatformTls.kt",
         f"{tls_kt.relative_to(repo)} must be object org.doorpass.core.PlatformTls with "
         "`@JvmStatic external fun init(context: Context)` loading doorpass_ffi")
    jni_rs = repo / "core/ffi/src/android_tls.rs"
    rs = without_comments(jni_rs.read_text(encoding="utf-8")) if jni_rs.exists() else ""
    need(re.search(r'#\[jni::jni_mangle\("org\.doorpass\.core\.PlatformTls"\)\]\s*pub fn init\b', rs)
         and "init_android" in rs,
         "its JNI function",
         f"{jni_rs.relative_to(repo)} must export init for org.doorpass.core.PlatformTls (jni_mangle) "
         "and call the verifier's init")

    settings = without_comments((repo / "android/settings.gradle.kts").read_text())
    need("https://github.com/rustls/rustls-platform-verifier/raw/maven-archive/android-release-support/maven/" in settings
         and re.search(r'includeModule\(\s*"org\.rustls",\s*"rustls-platform-verifier"\s*\)', settings),
         "the verifier's Maven repository",
         "android/settings.gradle.kts does not declare rustls-platform-verifier's Maven repository "
         "(maven-archive on GitHub) for org.rustls:rustls-platform-verifier")
    catalog = without_comments((repo / "android/gradle/libs.versions.toml").read_text(), "#")
    need(re.search(r'^rustls-platform-verifier\s*=\s*\{\s*module\s*=\s*"org\.rustls:rustls-platform-verifier"', catalog, re.M),
         "its catalog entry",
         "android/gradle/libs.versions.toml has no rustls-platform-verifier = org.rustls:rustls-platform-verifier")
    build = without_comments((repo / "android/doorpass/build.gradle.kts").read_text())
    need(re.search(r"\bimplementation\(libs\.rustls\.platform\.verifier\)", build)
         and re.search(r"strictly\(rustlsPlatformVerifierVersion\.get\(\)\)", build)
         and '"rustls-platform-verifier-android"' in build and '"../Cargo.lock"' in build,
         "the :doorpass dependency at the Cargo.lock version",
         "android/doorpass/build.gradle.kts must depend on libs.rustls.platform.verifier, strictly at the "
         "version of rustls-platform-verifier-android read from ../Cargo.lock")
    need('name = "rustls-platform-verifier-android"' in (repo / "Cargo.lock").read_text(),
         "the crate in Cargo.lock",
         "Cargo.lock has no rustls-platform-verifier-android, which the Gradle build takes its version from")
    need(re.search(r'consumerProguardFiles\("consumer-rules\.pro"\)', build),
         "consumerProguardFiles",
         "android/doorpass/build.gradle.kts does not hand consumer-rules.pro to apps (consumerProguardFiles)")
    rules_file = repo / "android/doorpass/consumer-rules.pro"
    rules = without_comments(rules_file.read_text(), "#") if rules_file.exists() else ""
    need(re.search(r"^-keep\s*,\s*includedescriptorclasses\s+class\s+org\.rustls\.platformverifier\.\*\*\s*\{\s*\*;\s*\}", rules, re.M),
         "the R8 keep rule",
         "android/doorpass/consumer-rules.pro does not keep org.rustls.platformverifier.** "
         "(-keep, includedescriptorclasses), so R8 strips the verifier from release builds")
    print(f"android tls set-up: {len(found)} of 9 pieces present")


def main() -> int:
    repo = Path(sys.argv[1]).resolve()
    kotlin = Language(tree_sitter_kotlin.language())
    swift = Language(tree_sitter_swift.language())

    sources = shell_sources(repo)
    kotlin_files = [p for p in sources if p.suffix in (".kt", ".kts")]
    swift_files = [p for p in sources if p.suffix == ".swift"]
    parse_all(kotlin_files, kotlin, "kotlin", repo)
    parse_all(swift_files, swift, "swift", repo)
    print(f"parsed {len(sources)} files: {len(kotlin_files)} Kotlin (.kt, .kts), {len(swift_files)} Swift")
    release = [p for p in kotlin_files if "/src/release/" in p.as_posix()]
    app_swift = [p for p in swift_files if p.is_relative_to(repo / "ios/App")]
    if not kotlin_files or not swift_files or not release or not app_swift:
        problem(f"expected the shells' sources: {len(kotlin_files)} Kotlin files ({len(release)} release), "
                f"{len(swift_files)} Swift files ({len(app_swift)} in the iOS app)")

    for path in sorted((repo / "android/passui").rglob("*.kt")):
        if re.search(r"^import androidx?\.", path.read_text(encoding="utf-8"), re.M):
            problem(f"{path.relative_to(repo)}: view models must not import android.* or androidx.*")
    for path in sorted((repo / "ios/Sources/DoorpassViewModels").rglob("*.swift")):
        if re.search(r"^import (SwiftUI|UIKit|AVFoundation|BackgroundTasks)\b", path.read_text(encoding="utf-8"), re.M):
            problem(f"{path.relative_to(repo)}: view models must not import SwiftUI, UIKit, AVFoundation or BackgroundTasks")

    check_gradle(repo)
    check_release_network(repo)
    check_platform_tls(repo, kotlin)
    check_xcodegen(repo)
    check_background_tasks(repo)
    keys = check_strings(repo)
    uses = used_keys(repo)
    for key, where in sorted(uses.items()):
        if key not in keys:
            problem(f"string key '{key}' is used in {sorted(where)} but is in no string table")
    print(f"string keys used in code: {len(uses)}, all in the tables" if all(k in keys for k in uses) else "")

    print(f"check-shells: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
