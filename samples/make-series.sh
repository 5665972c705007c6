#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# make-series.sh - regenerate samples/series.mbox from the files under samples/
#
# Usage: sh samples/make-series.sh [OUTPUT [SAMPLE]]
#
# SAMPLE is the directory holding tree/ and series-src/ (default: samples/,
# the PG_offline series; samples/2026/ holds the balloon_pages_lock one);
# OUTPUT defaults to SAMPLE/series.mbox.  series-src/ may also hold
# 'base-message' (the message of the base commit), 'version' (the -v of
# format-patch, default 2; 1 numbers the patches without it) and 'dates' (the base commit's date on its first
# line, the date the patches are numbered from on its second).
#
# What it does, in a temporary directory that is removed afterwards:
#   1. commits samples/tree/ as the base ("before the series") commit;
#   2. for each samples/series-src/NN/ in order (01, 02, ...), copies its
#      tree/ over the work tree (those are the post-patch versions of the
#      files patch NN changes) and commits with the message in NN/message;
#   3. runs `git format-patch --cover-letter --stdout -v2 --base=BASE`;
#   4. puts samples/series-src/cover-subject and cover-blurb in place of
#      the "*** SUBJECT HERE ***" and "*** BLURB HERE ***" placeholders.
#
# Reproducible: identities and dates are fixed, the user's and the system's
# git configuration are ignored, abbreviated hashes have a fixed length and
# the signature line is fixed.  Running it twice gives the same bytes (with
# git 2.39; another git version may format details differently).  Nothing
# is fetched from the network.

set -eu

samples=$(cd "${2:-$(dirname "$0")}" && pwd)
out=${1:-"$samples/series.mbox"}
src=$samples/series-src

# Settings of the sample, with the PG_offline series' values by default.
base_message='Sample tree before the PG_offline series'
version=2
base_date='2018-11-12 09:00:00 +0100'
day='2018-11-19'
zone='+0100'
if [ -f "$src/base-message" ]; then base_message=$(cat "$src/base-message"); fi
if [ -f "$src/version" ]; then version=$(cat "$src/version"); fi
if [ -f "$src/dates" ]; then
	base_date=$(sed -n 1p "$src/dates")
	day=$(sed -n 2p "$src/dates")
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# Ignore every configuration the caller may have: only what is set below
# may influence the output.
HOME=$work/home
GIT_CONFIG_NOSYSTEM=1
GIT_CONFIG_GLOBAL=/dev/null
LC_ALL=C
TZ=UTC
GIT_AUTHOR_NAME='Dana Example'
GIT_AUTHOR_EMAIL='dana@example.org'
GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME
GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
export HOME GIT_CONFIG_NOSYSTEM GIT_CONFIG_GLOBAL LC_ALL TZ
export GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
mkdir "$HOME"

repo=$work/repo
mkdir "$repo"
git -C "$repo" -c init.defaultBranch=master init -q
git -C "$repo" config core.fileMode false
git -C "$repo" config core.abbrev 12

# commit DATE MESSAGE-FILE: record the work tree as one commit.
commit() {
	git -C "$repo" add -A
	GIT_AUTHOR_DATE=$1 GIT_COMMITTER_DATE=$1 \
		git -C "$repo" commit -q --no-verify -F "$2"
}

cp -R "$samples/tree/." "$repo/"
printf '%s\n' "$base_message" >"$work/base-msg"
commit "$base_date" "$work/base-msg"
base=$(git -C "$repo" rev-parse HEAD)

i=0
for dir in "$src"/[0-9][0-9]; do
	i=$((i + 1))
	cp -R "$dir/tree/." "$repo/"
	commit "$day 11:16:0$i $zone" "$dir/message"
done

vflag=-v$version
if [ "$version" = 1 ]; then vflag=; fi

# The cover letter takes its date from the committer date in force here.
GIT_COMMITTER_DATE="$day 11:16:00 $zone" \
	git -C "$repo" format-patch --cover-letter --stdout ${vflag:+"$vflag"} \
	--base="$base" --signature=2.39.5 "HEAD~$i" >"$work/raw.mbox"

# Fill in the cover letter.  awk reads the replacement text from files, so
# no character in it needs quoting.
awk -v subjfile="$src/cover-subject" \
    -v blurbfile="$src/cover-blurb" '
	BEGIN {
		getline subject <subjfile
		close(subjfile)
	}
	!done_subject && /^Subject: .*\*\*\* SUBJECT HERE \*\*\*$/ {
		sub(/\*\*\* SUBJECT HERE \*\*\*$/, subject)
		done_subject = 1
	}
	!done_blurb && $0 == "*** BLURB HERE ***" {
		while ((getline line <blurbfile) > 0)
			print line
		close(blurbfile)
		done_blurb = 1
		next
	}
	{ print }
' "$work/raw.mbox" >"$out"
