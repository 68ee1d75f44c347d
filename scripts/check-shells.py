#!/usr/bin/env python3
"""Checks the Android and iOS shells where neither can be built (no Android SDK, no Xcode):

1. every Kotlin file of the Android app that imports android.* / androidx.*, and every Swift file of
   the iOS app, parses (tree-sitter) with no ERROR or MISSING node;
2. the plain view-model code imports no platform UI (android.*, androidx.*, SwiftUI, UIKit);
3. the Gradle settings name modules that exist, each with its build file;
4. the XcodeGen spec names files, folders and package products that exist;
5. the four string tables (Android en/ko, iOS en/ko) have exactly the same keys, and every key the
   view models, the screens (R.string.x, UiText("x")) and the Swift views use is in them.

Usage: check-shells.py REPO. Prints one line per check and `check-shells: N problems`; exits 1 on any.
"""

import re
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


def parse_all(files: list[Path], language: Language, what: str, repo: Path) -> None:
    parser = Parser(language)
    for path in files:
        errors = error_nodes(parser.parse(path.read_bytes()))
        status = "ok" if not errors else f"{len(errors)} error nodes ({', '.join(errors[:3])})"
        print(f"parse {what}: {path.relative_to(repo)}: {status}")
        if errors:
            problem(f"{path.relative_to(repo)} does not parse: {', '.join(errors[:5])}")


def android_keys(path: Path) -> dict[str, str]:
    return {node.get("name"): node.text or "" for node in ElementTree.parse(path).getroot().iter("string")}


def ios_keys(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    pairs = re.findall(r'^"((?:[^"\\]|\\.)*)"\s*=\s*"((?:[^"\\]|\\.)*)";\s*$', text, re.M)
    lines = [l for l in text.splitlines() if l.strip() and not l.strip().startswith("/*")]
    if len(pairs) != len(lines):
        problem(f"{path}: {len(lines) - len(pairs)} lines are not `\"key\" = \"value\";`")
    return dict(pairs)


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\d+\$s", text))


def check_strings(repo: Path) -> set[str]:
    tables = {
        "android en": android_keys(repo / "android/app/src/main/res/values/strings.xml"),
        "android ko": android_keys(repo / "android/app/src/main/res/values-ko/strings.xml"),
        "ios en": ios_keys(repo / "ios/App/Resources/en.lproj/Localizable.strings"),
        "ios ko": ios_keys(repo / "ios/App/Resources/ko.lproj/Localizable.strings"),
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


def main() -> int:
    repo = Path(sys.argv[1]).resolve()
    kotlin = Language(tree_sitter_kotlin.language())
    swift = Language(tree_sitter_swift.language())

    platform_kotlin = [
        p for p in sorted((repo / "android").rglob("*.kt"))
        if re.search(r"^import androidx?\.", p.read_text(encoding="utf-8"), re.M)
    ]
    parse_all(platform_kotlin, kotlin, "kotlin", repo)
    app_swift = sorted((repo / "ios/App").rglob("*.swift"))
    parse_all(app_swift, swift, "swift", repo)
    if not platform_kotlin or not app_swift:
        problem(f"expected app sources: {len(platform_kotlin)} Android Kotlin files, {len(app_swift)} SwiftUI files")

    for path in sorted((repo / "android/passui").rglob("*.kt")):
        if re.search(r"^import androidx?\.", path.read_text(encoding="utf-8"), re.M):
            problem(f"{path.relative_to(repo)}: view models must not import android.* or androidx.*")
    for path in sorted((repo / "ios/Sources/DoorpassViewModels").rglob("*.swift")):
        if re.search(r"^import (SwiftUI|UIKit|AVFoundation)\b", path.read_text(encoding="utf-8"), re.M):
            problem(f"{path.relative_to(repo)}: view models must not import SwiftUI, UIKit or AVFoundation")

    check_gradle(repo)
    check_xcodegen(repo)
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
