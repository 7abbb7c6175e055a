#!/usr/bin/env bash
# Build the book and check what mdBook only warns about (or does not check at all):
#
#   1. every {{#include PATH}} / {{#include PATH:ANCHOR}} (and #rustdoc_include) in book/src
#      names a file that exists and, for an anchor, a file with both `ANCHOR: name` and
#      `ANCHOR_END: name` (a missing anchor makes mdBook include nothing, silently);
#   2. every relative link and image in book/src (markdown `[..](..)`, `![..](..)`,
#      reference definitions, html src=/href=) points to a file that exists inside book/src
#      (a file outside it is not copied into the rendered book, so the link would break);
#   3. `mdbook build` succeeds and prints no ERROR or WARN line.
#
# Usage: book/check.sh            (from anywhere; CI runs it from the workspace root)
#        BOOK_OUT=dir book/check.sh   keep the rendered book in dir instead of a temp dir
# Exit status: 0 when everything is fine, 1 otherwise (each problem is printed as
# file:line: message).
set -euo pipefail

book_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root_dir=$(cd "$book_dir/.." && pwd)
src_dir="$book_dir/src"
problems=()

# A path as the reader of this script's output wants to see it: relative to the workspace.
show() { local p=$1; printf '%s' "${p#"$root_dir"/}"; }
problem() { problems+=("$1"); }

# Normalise a path lexically (no symlink resolution): a/b/../c -> a/c.
normalise() {
  local path=$1 part out=()
  local IFS=/
  for part in $path; do
    case $part in
      '' | .) ;;
      ..) [ ${#out[@]} -gt 0 ] && unset 'out[${#out[@]}-1]' ;;
      *) out+=("$part") ;;
    esac
  done
  printf '/%s' "${out[*]}"
}

# ---------------------------------------------------------------------------------------
# 1. includes
# ---------------------------------------------------------------------------------------
check_include() {
  local md=$1 lineno=$2 spec=$3
  local path suffix target start_line end_line
  if [[ $spec == *:* ]]; then
    path=${spec%%:*}
    suffix=${spec#*:}
  else
    path=$spec
    suffix=
  fi
  target=$(normalise "$(dirname "$md")/$path")
  if [ ! -f "$target" ]; then
    problem "$(show "$md"):$lineno: include of '$path': no such file ($(show "$target"))"
    return
  fi
  [ -n "$suffix" ] || return 0
  if [[ $suffix =~ ^[0-9]*(:[0-9]*)?$ ]]; then
    # A line range (path:10, path:10:20, path::20): the file exists, that is all we check.
    return 0
  fi
  if [[ ! $suffix =~ ^[A-Za-z0-9_-]+$ ]]; then
    problem "$(show "$md"):$lineno: include of '$path': '$suffix' is neither an anchor name nor a line range"
    return
  fi
  start_line=$(grep -n -E "ANCHOR:[[:space:]]*${suffix}([^A-Za-z0-9_-]|\$)" "$target" | head -n1 | cut -d: -f1 || true)
  end_line=$(grep -n -E "ANCHOR_END:[[:space:]]*${suffix}([^A-Za-z0-9_-]|\$)" "$target" | head -n1 | cut -d: -f1 || true)
  if [ -z "$start_line" ]; then
    problem "$(show "$md"):$lineno: include of '$path': anchor '$suffix' not found (no 'ANCHOR: $suffix' in $(show "$target"))"
  elif [ -z "$end_line" ]; then
    problem "$(show "$md"):$lineno: include of '$path': anchor '$suffix' is never closed (no 'ANCHOR_END: $suffix' in $(show "$target"))"
  elif [ "$end_line" -le "$start_line" ]; then
    problem "$(show "$md"):$lineno: include of '$path': 'ANCHOR_END: $suffix' (line $end_line) comes before 'ANCHOR: $suffix' (line $start_line) in $(show "$target")"
  fi
}

# ---------------------------------------------------------------------------------------
# 2. links and images
# ---------------------------------------------------------------------------------------
check_link() {
  local md=$1 lineno=$2 link=$3 kind=$4
  local target resolved
  link=${link#<}
  link=${link%>}
  case $link in
    '' | '#'* | //* | [a-zA-Z]*:*) return 0 ;; # in-page anchors, other sites, mailto: ...
  esac
  target=${link%%#*}
  target=${target%%\?*}
  target=${target//%20/ }
  [ -n "$target" ] || return 0
  if [[ $target == /* ]]; then
    resolved=$(normalise "$src_dir/$target")
  else
    resolved=$(normalise "$(dirname "$md")/$target")
  fi
  if [[ $resolved != "$src_dir"/* ]]; then
    problem "$(show "$md"):$lineno: $kind '$link' points outside book/src ($(show "$resolved")): it would be broken in the rendered book"
  elif [ ! -e "$resolved" ]; then
    problem "$(show "$md"):$lineno: $kind '$link': no such file ($(show "$resolved"))"
  fi
}

# Print "lineno<TAB>line" for the lines of a markdown file outside fenced code blocks, with
# inline code spans removed, so that examples of syntax in code are not taken for links.
prose_lines() {
  awk '
    /^[ \t]*(```|~~~)/ { fenced = !fenced; next }
    !fenced { gsub(/`[^`]*`/, ""); printf "%d\t%s\n", NR, $0 }
  ' "$1"
}

while IFS= read -r -d '' md; do
  # Includes live inside code blocks: scan the raw file. `\{{#include` is mdBook's escape.
  while IFS= read -r hit; do
    lineno=${hit%%:*}
    directive=${hit#*:}
    [[ $directive == \\* ]] && continue
    spec=$(sed -E 's/^\{\{#(include|rustdoc_include)[[:space:]]+//; s/[[:space:]]*\}\}$//' <<<"$directive")
    check_include "$md" "$lineno" "$spec"
  done < <(grep -n -o -E '\\?\{\{#(include|rustdoc_include)[[:space:]]+[^}]*\}\}' "$md" || true)

  while IFS=$'\t' read -r lineno line; do
    # [text](target) and ![alt](target), with an optional "title"
    while IFS= read -r m; do
      [ -n "$m" ] || continue
      kind=link
      [[ $m == '!'* ]] && kind=image
      target=$(sed -E 's/^!?\[[^]]*\]\(//; s/\)$//; s/[[:space:]]+"[^"]*"$//' <<<"$m")
      check_link "$md" "$lineno" "$target" "$kind"
    done < <(grep -o -E '!?\[[^]]*\]\([^)[:space:]]+([[:space:]]+"[^"]*")?\)' <<<"$line" || true)
    # reference definitions: [name]: target
    if [[ $line =~ ^[[:space:]]{0,3}\[[^]]+\]:[[:space:]]*([^[:space:]]+) ]]; then
      check_link "$md" "$lineno" "${BASH_REMATCH[1]}" link
    fi
    # raw html
    while IFS= read -r m; do
      [ -n "$m" ] || continue
      target=$(sed -E 's/^(src|href)="//; s/"$//' <<<"$m")
      check_link "$md" "$lineno" "$target" "html link"
    done < <(grep -o -E '(src|href)="[^"]*"' <<<"$line" || true)
  done < <(prose_lines "$md")
done < <(find "$src_dir" -name '*.md' -print0 | sort -z)

# ---------------------------------------------------------------------------------------
# 3. build
# ---------------------------------------------------------------------------------------
mdbook=$(command -v mdbook || true)
if [ -z "$mdbook" ] && [ -x "$HOME/.cargo/bin/mdbook" ]; then
  mdbook="$HOME/.cargo/bin/mdbook"
fi
if [ -z "$mdbook" ]; then
  problem "book/check.sh: mdbook not found (install it with: cargo install mdbook --locked)"
else
  log=$(mktemp "${TMPDIR:-/tmp}/minidocker-book-log.XXXXXX")
  if [ -n "${BOOK_OUT:-}" ]; then
    out=$BOOK_OUT
    mkdir -p "$out"
    trap 'rm -f "$log"' EXIT
  else
    out=$(mktemp -d "${TMPDIR:-/tmp}/minidocker-book.XXXXXX")
    trap 'rm -rf "$out" "$log"' EXIT
  fi
  status=0
  NO_COLOR=1 RUST_LOG_STYLE=never "$mdbook" build "$book_dir" --dest-dir "$out" >"$log" 2>&1 || status=$?
  # Strip colour codes, in case this mdbook colours anyway.
  sed -i -E 's/\x1b\[[0-9;]*m//g' "$log"
  if [ "$status" -ne 0 ]; then
    problem "book/book.toml: mdbook build failed (exit status $status)"
  fi
  while IFS= read -r line; do
    problem "mdbook: $line"
  done < <(grep -E '(^|[[:space:][])(ERROR|WARN)([]:[:space:]]|$)' "$log" || true)
  if [ "$status" -ne 0 ] || [ "${BOOK_VERBOSE:-0}" = 1 ]; then
    cat "$log" >&2
  fi
fi

if [ ${#problems[@]} -gt 0 ]; then
  printf 'book/check.sh: %d problem(s):\n' "${#problems[@]}" >&2
  printf '  %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "book/check.sh: the book builds; every include, anchor, link and image resolves"
