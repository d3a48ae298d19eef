#!/usr/bin/env bash
# Regenerates the demo audio of the shipped example config (needs sox, espeak-ng and ffmpeg
# with libvorbis). The outputs are committed; nothing in the build or the tests runs this.
#
#   nhac-hieu.ogg   signature tune (nhạc hiệu), ~5.5 s, Vorbis 44.1 kHz stereo (sox synth)
#   ban-tin-1.ogg   bản tin on digital transformation, Vorbis 22.05 kHz mono (espeak-ng)
#   ban-tin-2.ogg   bản tin on "Bình dân học vụ số", Vorbis 22.05 kHz mono (espeak-ng)
#
# Usage: playlists/demo/make.sh   (from anywhere)
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

FF=(ffmpeg -hide_banner -loglevel error -y)
BITEXACT=(-map_metadata -1 -fflags +bitexact -flags:a +bitexact)

# --- nhạc hiệu: a bright I - (melody) - IV - V - I cadence in C major -----------------
# Each step: sox -R (repeatable: fixed seed for pluck's noise burst) synthesises plucked
# strings (a chord = several tones mixed by one synth call), 44.1 kHz stereo.
note() { # note NAME SECONDS TONE...
    local name=$1 secs=$2; shift 2
    local args=()
    for tone in "$@"; do args+=(pluck "$tone"); done
    sox -R -n -r 44100 -c 2 -b 16 "$tmp/$name.wav" synth "$secs" "${args[@]}" gain -n -6
}
note 01 0.70 C4 E4 G4
note 02 0.30 E5
note 03 0.30 G5
note 04 0.70 C6 G5
note 05 0.70 F4 A4 C5
note 06 0.70 G4 B4 D5
note 07 1.90 C4 E4 G4 C5
# Join, add a little room, fade in/out, leave 1 dB of headroom.
sox -R "$tmp"/0*.wav "$tmp/tune.wav" reverb 25 50 60 fade t 0.03 0 0.9 norm -1
"${FF[@]}" -i "$tmp/tune.wav" -c:a libvorbis -q:a 3 "${BITEXACT[@]}" nhac-hieu.ogg

# --- bản tin: Vietnamese speech, Central (Quảng Ngãi) voice ------------------------------
speak() { # speak OUT.ogg TEXT
    espeak-ng -v vi-vn-x-central -s 150 -w "$tmp/speech.wav" "$2"
    "${FF[@]}" -i "$tmp/speech.wav" -af "aresample=22050,volume=0.7" -ac 1 -c:a libvorbis -q:a 2 \
        "${BITEXACT[@]}" "$1"
}
speak ban-tin-1.ogg "Đây là Đài truyền thanh xã Bình Chương. Bản tin chuyển đổi số: \
ngày mười tháng mười là Ngày Chuyển đổi số quốc gia."
speak ban-tin-2.ogg "Đây là Đài truyền thanh xã Bình Chương. Phong trào Bình dân học vụ số: \
mời bà con đến nhà văn hóa thôn, học dùng điện thoại thông minh."

for f in nhac-hieu.ogg ban-tin-1.ogg ban-tin-2.ogg; do
    printf '%-14s %6d bytes  %s s\n' "$f" "$(stat -c %s "$f")" \
        "$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f")"
done
