//! The command line's help in the operator's language: `loaxa --help` and every subcommand's
//! help are Vietnamese by default, English with `LOAXA_LANG=en`.
//!
//! The clap types keep the derive API but carry no help text of their own: the words of every
//! subcommand (`about`) and argument (`help`) live in one table, [`WORDS`], keyed by where they
//! sit in the command tree. At the edge, [`matches`] takes `Cli::command()`, puts the words of
//! one language on it (and clap's own headings, help flag, version flag and `help` subcommand,
//! which clap only has in English), then parses. A test walks `Cli::command()` and fails on a
//! subcommand or argument without its words here, so none can be added without them.

use std::ffi::OsString;

use clap::builder::Styles;
use clap::error::ErrorKind;
use clap::{Arg, ArgAction, ArgMatches, Command, CommandFactory};

use crate::words::{Lang, pick_str as pick};

/// `(key, vi, en)`. A subcommand's key is its path from the root (`""` for `loaxa` itself,
/// `"segment add"`); an argument's is the path, `/` and the argument's id (`"segment add/topic"`,
/// `"/config"`), see [`command_key`] and [`arg_key`].
const WORDS: &[(&str, &str, &str)] = &[
    (
        "",
        "loaxa — phần mềm đài truyền thanh xã: phát các chương trình theo lịch và ghi nhật ký mọi lần phát",
        "loaxa — commune loudspeaker station: plays the station's programs on schedule and logs every broadcast",
    ),
    (
        "/config",
        "Tệp cấu hình của đài [mặc định: $LOAXA_CONFIG, nếu không có thì config/loaxa.toml, rồi /etc/loaxa/loaxa.toml]",
        "Station config file [default: $LOAXA_CONFIG, else config/loaxa.toml, else /etc/loaxa/loaxa.toml]",
    ),
    (
        "/token",
        "Mã truy cập API của đài, khi cấu hình có [api] token_sha256 [mặc định: $LOAXA_TOKEN]",
        "Access token of the daemon's API, when [api] token_sha256 is set [default: $LOAXA_TOKEN]",
    ),
    (
        "run",
        "Chạy đài: phát các chương trình theo lịch cho đến khi bấm Ctrl-C hoặc nhận SIGTERM",
        "Run the daemon: air programs on schedule until Ctrl-C / SIGTERM",
    ),
    (
        "run/output",
        "Thay thiết bị phát của mục `[output]`: `default` | TÊN_THIẾT_BỊ | `wav:`ĐƯỜNG_DẪN | `raw:`ĐƯỜNG_DẪN | `null`",
        "Override [output] device: default | DEVICE | wav:PATH | raw:PATH | null",
    ),
    (
        "check",
        "Kiểm tra cấu hình, danh sách phát và các tệp được dùng; xem các lần phát sắp tới",
        "Validate the config, playlists and referenced files; show the next broadcasts",
    ),
    (
        "segment",
        "Thư viện bản tin: thêm, xem, sửa, duyệt, xoá",
        "The segment library (bản tin)",
    ),
    (
        "segment add",
        "Thêm tệp âm thanh (MP3, WAV, OGG, FLAC, M4A) hoặc một bản tin văn bản (đọc bằng giọng máy) vào thư viện",
        "Import audio files (MP3, WAV, OGG, FLAC, M4A), or a text bulletin read aloud, into the library",
    ),
    (
        "segment add/text",
        "Nội dung bản tin văn bản, đọc bằng giọng máy (thay cho tệp âm thanh)",
        "A text bulletin to read aloud (instead of audio files)",
    ),
    (
        "segment add/text_file",
        "Tệp văn bản UTF-8 chứa bản tin, đọc bằng giọng máy",
        "A UTF-8 text file holding the bulletin to read aloud",
    ),
    (
        "segment add/voice",
        "Giọng đọc, một trong `[tts] voices` (mặc định: `[tts] voice`, ví dụ vi, vi-vn-x-central, vi-vn-x-south)",
        "The voice, one of [tts] voices (default: [tts] voice; e.g. vi, vi-vn-x-central, vi-vn-x-south)",
    ),
    (
        "segment add/files",
        "Các tệp âm thanh cần thêm",
        "The audio files to import",
    ),
    (
        "segment add/title",
        "Tiêu đề (mặc định: tên tệp, hoặc những chữ đầu của bản tin văn bản)",
        "Title (default: the file name, or the first words of a text bulletin)",
    ),
    (
        "segment add/topic",
        "Mã chuyên mục trong [topics], ví dụ nq57",
        "Topic slug from [topics], e.g. nq57",
    ),
    (
        "segment add/unit",
        "Đơn vị thực hiện",
        "Responsible unit (đơn vị thực hiện)",
    ),
    (
        "segment add/valid_from",
        "Ngày đầu tiên được phát (YYYY-MM-DD)",
        "First day it may air (YYYY-MM-DD)",
    ),
    (
        "segment add/valid_until",
        "Ngày cuối cùng được phát (YYYY-MM-DD)",
        "Last day it may air (YYYY-MM-DD)",
    ),
    (
        "segment add/priority",
        "Mức ưu tiên: `normal` (thông thường) | `priority` (ưu tiên: lên đầu chương trình kế tiếp) | `emergency` (khẩn cấp)",
        "normal | priority (front of the next program) | emergency",
    ),
    (
        "segment add/json",
        "Mỗi tệp một đối tượng JSON: `{\"file\",\"outcome\":\"added\"|\"already_present\",\"segment\"}` hoặc `{\"file\",\"outcome\":\"error\",\"error\",\"code\"}`",
        "One JSON object per file: {\"file\",\"outcome\":\"added\"|\"already_present\",\"segment\"} or {\"file\",\"outcome\":\"error\",\"error\",\"code\"}",
    ),
    ("segment list", "Liệt kê các bản tin", "List segments"),
    (
        "segment list/topic",
        "Chỉ các bản tin của chuyên mục này",
        "Only the segments of this topic",
    ),
    (
        "segment list/json",
        "Mỗi dòng một đối tượng JSON",
        "One JSON object per line",
    ),
    ("segment show", "Xem một bản tin", "Show one segment"),
    ("segment show/id", "Mã bản tin", "The segment's number"),
    (
        "segment show/json",
        "Hiện dưới dạng một đối tượng JSON",
        "Print it as one JSON object",
    ),
    (
        "segment edit",
        "Sửa tiêu đề, chuyên mục, đơn vị, ngày phát, mức ưu tiên hoặc độ lợi của một bản tin",
        "Change a segment's title, topic, unit, dates, priority or gain offset",
    ),
    ("segment edit/id", "Mã bản tin", "The segment's number"),
    ("segment edit/title", "Tiêu đề mới", "The new title"),
    (
        "segment edit/topic",
        "Mã chuyên mục mới trong [topics]",
        "The new topic slug from [topics]",
    ),
    (
        "segment edit/unit",
        "Đơn vị thực hiện mới",
        "The new responsible unit",
    ),
    (
        "segment edit/valid_from",
        "Ngày đầu tiên được phát (YYYY-MM-DD)",
        "First day it may air (YYYY-MM-DD)",
    ),
    (
        "segment edit/valid_until",
        "Ngày cuối cùng được phát (YYYY-MM-DD)",
        "Last day it may air (YYYY-MM-DD)",
    ),
    (
        "segment edit/priority",
        "Mức ưu tiên: `normal` (thông thường) | `priority` (ưu tiên) | `emergency` (khẩn cấp)",
        "normal | priority | emergency",
    ),
    (
        "segment edit/gain_db",
        "Độ lợi cộng thêm, tính bằng dB, sau khi chuẩn hoá âm lượng (ví dụ -3 hoặc 2.5; 0 để bỏ)",
        "Gain offset in dB on top of loudness normalisation (e.g. -3 or 2.5; 0 removes it)",
    ),
    (
        "segment edit/zones",
        "Các vùng loa được phát bản tin, cách nhau bằng dấu phẩy (ví dụ thon-1,thon-2; \"\" để theo chương trình)",
        "Loudspeaker zones it is for, comma-separated (e.g. thon-1,thon-2; \"\" to follow its program)",
    ),
    (
        "segment approve",
        "Ghi nhận lãnh đạo xã đã duyệt một bản tin",
        "Record that the commune leadership approved a segment (đã duyệt)",
    ),
    ("segment approve/id", "Mã bản tin", "The segment's number"),
    ("segment approve/by", "Người duyệt", "Who approved it"),
    (
        "segment rm",
        "Xoá một bản tin (không xoá được khi nó đang trong hàng chờ hoặc trong danh sách phát, trừ khi có --force)",
        "Remove a segment (refused while it is queued or in a playlist, unless --force)",
    ),
    ("segment rm/id", "Mã bản tin", "The segment's number"),
    (
        "segment rm/force",
        "Xoá cả khi bản tin đang trong hàng chờ hoặc danh sách phát",
        "Remove it even while it is queued or in a playlist",
    ),
    (
        "queue",
        "Hàng chờ: các bản tin phát một lần trong chương trình kế tiếp",
        "The operator queue (hàng chờ): segments that air once in the next program",
    ),
    (
        "queue add",
        "Đưa bản tin vào hàng chờ: phát một lần, trước các danh sách phát, trong chương trình kế tiếp",
        "Queue segments: they air once, ahead of the playlists, in the next program",
    ),
    ("queue add/ids", "Mã các bản tin", "The segments' numbers"),
    (
        "queue add/program",
        "Chỉ trong chương trình này (mặc định: chương trình kế tiếp có nhận hàng chờ)",
        "Only in this program (default: the next program that takes the queue)",
    ),
    (
        "queue add/priority",
        "Mức ưu tiên: `normal` (thông thường) | `priority` (ưu tiên: trước mọi bản tin trong hàng chờ); mặc định: mức của chính bản tin",
        "normal | priority (ahead of everything queued); default: the segment's own level",
    ),
    ("queue list", "Xem hàng chờ", "Show the queue"),
    (
        "queue list/json",
        "Mỗi dòng một đối tượng JSON",
        "One JSON object per line",
    ),
    (
        "queue rm",
        "Bỏ một mục khỏi hàng chờ theo số thứ tự (xem `queue list`)",
        "Remove an entry by its queue number (see `queue list`)",
    ),
    (
        "queue rm/number",
        "Số thứ tự trong hàng chờ",
        "The entry's queue number",
    ),
    (
        "schedule",
        "Lịch phát: phát gì, lúc nào, kèm các cảnh báo",
        "What will air when (lịch phát), with warnings",
    ),
    (
        "schedule/days",
        "Xem trước bao nhiêu ngày",
        "How many days ahead",
    ),
    (
        "schedule/json",
        "Mỗi chương trình một đối tượng JSON",
        "One JSON object per program",
    ),
    (
        "log",
        "Nhật ký phát sóng; `log export` ghi nhật ký ra tệp",
        "The broadcast log (nhật ký phát sóng); `log export` writes it to a file",
    ),
    (
        "log/from",
        "Từ ngày này (YYYY-MM-DD, giờ của đài), tính cả ngày này",
        "From this day (YYYY-MM-DD, station time), inclusive",
    ),
    (
        "log/to",
        "Đến ngày này (YYYY-MM-DD), tính cả ngày này",
        "To this day (YYYY-MM-DD), inclusive",
    ),
    (
        "log/topic",
        "Chỉ các bản ghi của chuyên mục này (ví dụ nq57)",
        "Only records of this topic (e.g. nq57)",
    ),
    (
        "log/outcome",
        "Chỉ các bản ghi có kết quả này: \"đã phát\", \"bị ngắt\", \"lỗi\", \"bỏ qua\" hoặc \"bị lỡ\"",
        "Only records with this outcome: completed | interrupted | failed | skipped | missed",
    ),
    (
        "log/program",
        "Chỉ các bản ghi của chương trình này",
        "Only records of this program",
    ),
    (
        "log/search",
        "Chỉ các bản ghi có đủ các từ này trong tiêu đề hoặc đơn vị",
        "Only records whose title or unit holds all these words",
    ),
    (
        "log/last",
        "Chỉ N bản ghi phù hợp mới nhất",
        "Only the last N records that match",
    ),
    (
        "log/json",
        "Mỗi dòng một đối tượng JSON, đủ mọi trường",
        "One JSON object per line, with every field",
    ),
    (
        "log export",
        "Ghi nhật ký ra tệp: CSV để mở bằng Excel, JSON Lines đủ mọi trường, hoặc XLSX",
        "Write the log to a file: CSV for Excel, JSON Lines with every field, or XLSX",
    ),
    (
        "log export/from",
        "Từ ngày này (YYYY-MM-DD, giờ của đài), tính cả ngày này [mặc định: bản ghi đầu tiên]",
        "From this day (YYYY-MM-DD, station time), inclusive [default: the first record]",
    ),
    (
        "log export/to",
        "Đến ngày này (YYYY-MM-DD), tính cả ngày này [mặc định: bản ghi cuối cùng]",
        "To this day (YYYY-MM-DD), inclusive [default: the last record]",
    ),
    (
        "log export/format",
        "csv | jsonl | xlsx [mặc định: theo đuôi của tệp -o, nếu không thì csv]",
        "csv | jsonl | xlsx [default: from the -o file's extension, else csv]",
    ),
    (
        "log export/lang",
        "Ngôn ngữ của tiêu đề cột và giá trị: vi (tiếng Việt) | en (tiếng Anh)",
        "Column headers and values: vi (tiếng Việt) | en",
    ),
    (
        "log export/sep",
        "Dấu phân cách của CSV: comma (dấu phẩy) | semicolon (dấu chấm phẩy, khi Excel dồn mọi thứ vào một cột)",
        "CSV field separator: comma | semicolon (when Excel shows everything in one column)",
    ),
    (
        "log export/output",
        "Tệp cần ghi [mặc định: màn hình, với csv và jsonl]",
        "The file to write [default: stdout, for csv and jsonl]",
    ),
    (
        "log verify",
        "Kiểm tra rằng không bản ghi nào bị sửa, xoá hay đổi thứ tự từ khi được ghi",
        "Check that no record was changed, removed or reordered since it was written",
    ),
    (
        "log verify/expect",
        "Mã băm của một bản ghi đã chép lại từ trước (ví dụ trong báo cáo gần nhất), dạng BẢN_GHI:MÃ_BĂM; nhật ký phải còn đúng bản ghi đó với mã băm đó",
        "A record's hash written down earlier (e.g. in the last report), as RECORD:HASH; the log must still hold that record with that hash",
    ),
    (
        "log verify/json",
        "Hiện kết quả dưới dạng một đối tượng JSON",
        "Print the report as one JSON object",
    ),
    (
        "report",
        "Báo cáo sáu tháng gửi tỉnh: số lần phát và số phút theo chuyên mục, đơn vị, tháng",
        "The half-year report to the province (báo cáo): broadcasts and minutes per topic, unit, month",
    ),
    (
        "report/period",
        "Kỳ báo cáo sáu tháng: 2026-H1 (15/12/2025 – 14/06/2026) hoặc 2026-H2 (15/06 – 14/12/2026) [mặc định: kỳ gần nhất đã kết thúc]",
        "Reporting half-year: 2026-H1 (15/12/2025 – 14/06/2026) or 2026-H2 (15/06 – 14/12/2026) [default: the last half-year that has ended]",
    ),
    (
        "report/from",
        "Một khoảng thời gian khác: từ ngày này (YYYY-MM-DD), tính cả ngày này (đi cùng `--to`)",
        "Any other period: from this day (YYYY-MM-DD), inclusive (with --to)",
    ),
    (
        "report/to",
        "Đến ngày này (YYYY-MM-DD), tính cả ngày này (đi cùng `--from`)",
        "To this day (YYYY-MM-DD), inclusive (with --from)",
    ),
    (
        "report/format",
        "md | csv | xlsx | html [mặc định: theo đuôi của tệp -o, nếu không thì md]",
        "md | csv | xlsx | html [default: from the -o file's extension, else md]",
    ),
    (
        "report/lang",
        "Ngôn ngữ của báo cáo: vi (tiếng Việt) | en (tiếng Anh)",
        "Labels: vi (tiếng Việt) | en",
    ),
    (
        "report/output",
        "Tệp cần ghi [mặc định: màn hình, với md, csv và html]",
        "The file to write [default: stdout, for md, csv and html]",
    ),
    (
        "province",
        "Công cụ của tỉnh: cơ sở dữ liệu chung (PostgreSQL) nhận nhật ký của mọi đài xã",
        "The province's tools: the central database (PostgreSQL) every commune station sends its log to",
    ),
    (
        "province migrate",
        "Chuẩn bị hoặc nâng cấp lược đồ loaxa trong cơ sở dữ liệu của tỉnh (chạy bằng tài khoản chủ cơ sở dữ liệu)",
        "Create or upgrade the loaxa schema in the province's database (run as the database's owner)",
    ),
    (
        "province migrate/db",
        "Cơ sở dữ liệu của tỉnh, ví dụ postgres://TÊN:MẬT_KHẨU@MÁY_CHỦ:5432/loaxa [mặc định: $LOAXA_PROVINCE_DB]",
        "The province's database, e.g. postgres://NAME:PASSWORD@HOST:5432/loaxa [default: $LOAXA_PROVINCE_DB]",
    ),
    (
        "province add-station",
        "Đăng ký một đài xã: tạo tài khoản riêng (chỉ ghi được dòng của mình) và hiện mục [province] để chép vào cấu hình của đài",
        "Register a commune station: its own login (it can write only its own rows), and the [province] section for its config",
    ),
    (
        "province add-station/db",
        "Cơ sở dữ liệu của tỉnh [mặc định: $LOAXA_PROVINCE_DB]",
        "The province's database [default: $LOAXA_PROVINCE_DB]",
    ),
    (
        "province add-station/code",
        "Mã của đài (chữ thường không dấu, số, - và _), ví dụ `ba-to`",
        "The station's code (lower-case letters, digits, - and _), e.g. ba-to",
    ),
    (
        "province add-station/name",
        "Tên đài, ví dụ \"Đài truyền thanh xã Ba Tơ\"",
        "The station's name, e.g. \"Đài truyền thanh xã Ba Tơ\"",
    ),
    (
        "province add-station/login",
        "Tên đăng nhập của đài [mặc định: loaxa_MÃ_ĐÀI]",
        "The station's login [default: loaxa_CODE]",
    ),
    (
        "province status",
        "Tình trạng từng đài: liên lạc cuối, đang phát gì, số bản ghi tỉnh đã nhận, còn thiếu, nhật ký có toàn vẹn không",
        "Each station: last seen, on air, records held at the province, behind, whether its log is intact",
    ),
    (
        "province status/db",
        "Cơ sở dữ liệu của tỉnh [mặc định: $LOAXA_PROVINCE_DB]",
        "The province's database [default: $LOAXA_PROVINCE_DB]",
    ),
    (
        "province status/json",
        "Hiện kết quả dưới dạng JSON",
        "Print JSON",
    ),
    (
        "province report",
        "Báo cáo sáu tháng toàn tỉnh: theo đài, chuyên mục, đơn vị, tháng; giờ tiếp sóng, phát khẩn cấp, đài im lặng hoặc không báo cáo",
        "The province's half-year report: per station, topic, unit, month; relay hours, emergencies, stations silent or not reporting",
    ),
    (
        "province report/db",
        "Cơ sở dữ liệu của tỉnh [mặc định: $LOAXA_PROVINCE_DB]",
        "The province's database [default: $LOAXA_PROVINCE_DB]",
    ),
    (
        "now",
        "Đang phát gì và sắp phát gì (cần `loaxa run` đang chạy)",
        "What is on air now and what comes next (needs the daemon)",
    ),
    (
        "now/json",
        "Hiện trạng thái dưới dạng JSON",
        "The status as JSON",
    ),
    (
        "skip",
        "Dừng bản tin đang phát; chương trình phát tiếp bản tin sau (cần `loaxa run` đang chạy)",
        "End the item on air; the program goes on with the next one (needs the daemon)",
    ),
    (
        "stop",
        "Dừng chương trình đang phát (cần `loaxa run` đang chạy)",
        "End the program on air (needs the daemon)",
    ),
    (
        "play",
        "Phát bản tin ngoài lịch: sau chương trình đang phát, hoặc ngay lập tức với `--now` (cần `loaxa run` đang chạy)",
        "Play segments outside the schedule: after the program on air, or --now (needs the daemon)",
    ),
    ("play/ids", "Mã các bản tin", "The segments' numbers"),
    (
        "play/now",
        "Cắt chương trình đang phát và phát ngay (mặc định: ngay sau chương trình đó)",
        "Cut the program on air and play at once (default: right after it)",
    ),
    (
        "play/priority",
        "Mức ưu tiên: `normal` (thông thường) | `priority` (ưu tiên) | `emergency` (khẩn cấp)",
        "normal | priority | emergency",
    ),
    (
        "emergency",
        "Phát khẩn cấp: phát ngay, có thể lặp lại (cần `loaxa run` đang chạy); `emergency list` / `emergency cancel N`: các lần lặp sắp tới",
        "Emergency broadcast (phát khẩn cấp): air at once, optionally repeat (needs the daemon); `emergency list` / `emergency cancel N`: the repeats to come",
    ),
    (
        "emergency/id",
        "Bản tin cần phát ngay",
        "The segment to air at once",
    ),
    (
        "emergency/every",
        "Lặp lại sau mỗi KHOẢNG, từ 1m đến 31d (tin bão: 2h), cho đến --until",
        "Repeat every DURATION, 1m to 31d (storm bulletins: 2h), until --until",
    ),
    (
        "emergency/until",
        "Lần lặp cuối: \"YYYY-MM-DD HH:MM\" theo giờ của đài, hoặc RFC 3339; không quá 366 ngày kể từ bây giờ",
        "Last repeat: \"YYYY-MM-DD HH:MM\" station time, or RFC 3339; at most 366 days ahead",
    ),
    (
        "emergency list",
        "Các lần phát khẩn cấp lặp lại sắp tới",
        "The emergency repeats to come",
    ),
    (
        "emergency list/json",
        "Mỗi dòng một đối tượng JSON",
        "One JSON object per line",
    ),
    (
        "emergency cancel",
        "Huỷ một lần phát khẩn cấp lặp lại theo số của nó (xem `emergency list`): nó không phát nữa",
        "Cancel an emergency repeat by its number (see `emergency list`): it airs no more",
    ),
    (
        "emergency cancel/id",
        "Số của lần lặp lại",
        "The repeat's number",
    ),
    (
        "live",
        "Phát trực tiếp từ micro của đài: `live start` bật, `live stop` tắt (cần `loaxa run` đang chạy)",
        "Live broadcast from the station's microphone: `live start`, `live stop` (needs the daemon)",
    ),
    (
        "live start",
        "Bật micro lên sóng: mức thông thường chờ bản tin đang phát xong; `priority` ngắt bản tin thông thường; `emergency` ngắt mọi thứ đang phát",
        "Put the microphone on air: normal waits for the item on air; priority cuts a normal item; emergency cuts whatever airs",
    ),
    (
        "live start/priority",
        "Mức ưu tiên: `normal` (thông thường) | `priority` (ưu tiên) | `emergency` (khẩn cấp)",
        "normal | priority | emergency",
    ),
    (
        "live start/title",
        "Tiêu đề ghi vào nhật ký phát (mặc định: «Phát trực tiếp»)",
        "The title the log keeps (default: \"Phát trực tiếp\")",
    ),
    (
        "live start/by",
        "Người nói hoặc người bật (mặc định: tên người dùng của máy)",
        "Who speaks or starts it (default: the system user)",
    ),
    (
        "live stop",
        "Tắt phát trực tiếp: tiếng nhỏ dần rồi tắt; chương trình phát tiếp",
        "End the live broadcast: it fades out and the program goes on",
    ),
    (
        "reload",
        "Đọc lại cấu hình và danh sách phát; cấu hình lỗi thì giữ cấu hình cũ (cần `loaxa run` đang chạy)",
        "Re-read the config and playlists; a broken config keeps the old one (needs the daemon)",
    ),
    (
        "inbox",
        "Bản tin tỉnh gửi về (`[province] inbox`): đã nhận và xử lý ra sao, bị giữ lại vì sao, đang chờ tệp âm thanh",
        "Bulletins from the province (`[province] inbox`): taken and what became of them, quarantined and why, waiting for their audio",
    ),
    (
        "inbox/json",
        "Hiện danh sách dưới dạng một đối tượng JSON",
        "The lists as one JSON object",
    ),
];

/// The Vietnamese placeholders of the values arguments take (`--topic <CHUYÊN_MỤC>`), by
/// the English ones the clap types name (`value_name`, else the field's name in capitals).
const VALUE_NAMES: &[(&str, &str)] = &[
    ("URL", "ĐỊA_CHỈ"),
    ("CODE", "MÃ_ĐÀI"),
    ("LOGIN", "TÊN_ĐĂNG_NHẬP"),
    ("STATION_NAME", "TÊN_ĐÀI"),
    ("FILE", "TỆP"),
    ("TEXT", "VĂN_BẢN"),
    ("TEXT_FILE", "TỆP_VĂN_BẢN"),
    ("VOICE", "GIỌNG"),
    ("TOKEN", "MÃ_TRUY_CẬP"),
    ("TITLE", "TIÊU_ĐỀ"),
    ("TOPIC", "CHUYÊN_MỤC"),
    ("UNIT", "ĐƠN_VỊ"),
    ("VALID_FROM", "TỪ_NGÀY"),
    ("VALID_UNTIL", "ĐẾN_NGÀY"),
    ("FROM", "TỪ_NGÀY"),
    ("TO", "ĐẾN_NGÀY"),
    ("PRIORITY", "MỨC"),
    ("BY", "NGƯỜI"),
    ("ID", "MÃ"),
    ("IDS", "MÃ"),
    ("DB", "SỐ_DB"),
    ("NAME", "HỌ_TÊN"),
    ("PROGRAM", "CHƯƠNG_TRÌNH"),
    ("NUMBER", "SỐ"),
    ("DAYS", "SỐ_NGÀY"),
    ("FORMAT", "ĐỊNH_DẠNG"),
    ("LANG", "NGÔN_NGỮ"),
    ("SEP", "DẤU"),
    ("RECORD:HASH", "BẢN_GHI:MÃ_BĂM"),
    ("PERIOD", "KỲ"),
    ("SPEC", "THIẾT_BỊ"),
    ("DURATION", "KHOẢNG"),
    ("DATETIME", "THỜI_ĐIỂM"),
    ("OUTCOME", "KẾT_QUẢ"),
    ("WORDS", "TỪ_KHOÁ"),
    ("N", "SỐ_LƯỢNG"),
    ("ZONES", "CÁC_VÙNG"),
];

/// The Vietnamese placeholder for clap's English `name` of a value, if the table has it.
pub fn value_name_words(name: &str) -> Option<&'static str> {
    VALUE_NAMES
        .iter()
        .find(|(en, _)| *en == name)
        .map(|(_, vi)| *vi)
}

/// The key of a subcommand: its path from the root, words joined by spaces (`""` for the root).
pub fn command_key(path: &[&str]) -> String {
    path.join(" ")
}

/// The key of an argument of the subcommand at `path`.
pub fn arg_key(path: &[&str], id: &str) -> String {
    format!("{}/{id}", command_key(path))
}

/// The `(vi, en)` words of `key`, if the table has them. The province's report takes the
/// station report's choices (`province report/period` reads as `report/period`).
pub fn words(key: &str) -> Option<(&'static str, &'static str)> {
    let find = |key: &str| {
        WORDS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, vi, en)| (*vi, *en))
    };
    find(key).or_else(|| find(key.strip_prefix("province ")?).filter(|_| key.contains('/')))
}

/// Every key of the table (a test checks that each still names a subcommand or argument).
pub fn keys() -> impl Iterator<Item = &'static str> {
    WORDS.iter().map(|(k, _, _)| *k)
}

/// The words of `key` in `lang`.
fn text(key: &str, lang: Lang) -> Option<&'static str> {
    words(key).map(|(vi, en)| pick(lang, vi, en))
}

/// The whole command line in `lang`: `Cli::command()` with the table's words.
pub fn command(lang: Lang) -> Command {
    let version = Arg::new("version")
        .short('V')
        .long("version")
        .action(ArgAction::Version)
        .help(pick(lang, "In số phiên bản", "Print version"))
        .help_heading(options_heading(lang));
    localise(crate::cli::Cli::command(), &[], lang)
        .disable_version_flag(true)
        .arg(version)
}

/// `cmd` (at `path`) and everything under it in `lang`.
fn localise(cmd: Command, path: &[&str], lang: Lang) -> Command {
    let mut cmd = cmd
        .help_template(template(lang))
        .subcommand_help_heading(pick(lang, "Lệnh", "Commands"))
        .subcommand_value_name(command_placeholder(lang))
        .mut_args(|arg| localise_arg(arg, path, lang))
        .disable_help_flag(true)
        .arg(help_flag(lang))
        .long_about(None);
    if let Some(about) = text(&command_key(path), lang) {
        cmd = cmd.about(about);
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    if names.is_empty() {
        return cmd;
    }
    for name in &names {
        let sub_path: Vec<&str> = path.iter().copied().chain([name.as_str()]).collect();
        cmd = cmd.mut_subcommand(name, |sub| localise(sub, &sub_path, lang));
    }
    cmd.disable_help_subcommand(true)
        .subcommand(help_subcommand(lang))
}

/// An argument's help from the table, under a heading in `lang`; its default value is said
/// in `lang` too (clap would say `[default: …]`).
fn localise_arg(arg: Arg, path: &[&str], lang: Lang) -> Arg {
    let heading = if arg.is_positional() {
        arguments_heading(lang)
    } else {
        options_heading(lang)
    };
    let mut help = text(&arg_key(path, arg.get_id().as_str()), lang)
        .map(str::to_string)
        .or_else(|| arg.get_help().map(ToString::to_string))
        .unwrap_or_default();
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    let shows_default = arg.get_action().takes_values() && !arg.is_hide_default_value_set();
    let arg = if shows_default && !defaults.is_empty() {
        let word = pick(lang, "mặc định", "default");
        help.push_str(&format!(" [{word}: {}]", defaults.join(", ")));
        arg.hide_default_value(true)
    } else {
        arg
    };
    localise_values(arg, lang)
        .help(help)
        .long_help(None)
        .help_heading(heading)
}

/// `arg`'s value placeholders in `lang` (clap's are the English ones already).
fn localise_values(arg: Arg, lang: Lang) -> Arg {
    let names = match arg.get_value_names() {
        Some(names) if arg.get_action().takes_values() => names,
        _ => return arg,
    };
    let vi: Option<Vec<&'static str>> = names.iter().map(|n| value_name_words(n)).collect();
    match (lang, vi) {
        (Lang::Vi, Some(vi)) => arg.value_names(vi),
        _ => arg,
    }
}

fn options_heading(lang: Lang) -> &'static str {
    pick(lang, "Tuỳ chọn", "Options")
}

fn arguments_heading(lang: Lang) -> &'static str {
    pick(lang, "Đối số", "Arguments")
}

/// What stands for a subcommand in a usage line (`loaxa <LỆNH>`).
fn command_placeholder(lang: Lang) -> &'static str {
    pick(lang, "LỆNH", "COMMAND")
}

/// `-h, --help` in `lang` (clap's own is English only).
fn help_flag(lang: Lang) -> Arg {
    Arg::new("help")
        .short('h')
        .long("help")
        .action(ArgAction::Help)
        .help(pick(lang, "In hướng dẫn này", "Print help"))
        .help_heading(options_heading(lang))
}

/// The name of the `help` subcommand [`localise`] adds where there are subcommands.
const HELP: &str = "help";

/// `loaxa help [COMMAND]…`, as clap's own but in `lang`.
fn help_subcommand(lang: Lang) -> Command {
    Command::new(HELP)
        .about(pick(
            lang,
            "In hướng dẫn này, hoặc hướng dẫn của lệnh đã cho",
            "Print this message or the help of the given subcommand(s)",
        ))
        .help_template(template(lang))
        .disable_help_flag(true)
        .arg(
            Arg::new("command")
                .action(ArgAction::Append)
                .num_args(..)
                .value_name(command_placeholder(lang))
                .help(pick(
                    lang,
                    "Lệnh cần xem hướng dẫn",
                    "The subcommand to explain",
                ))
                .help_heading(arguments_heading(lang)),
        )
}

/// clap's default help layout with the usage heading in `lang`.
fn template(lang: Lang) -> String {
    let usage = Styles::default().get_usage().to_owned();
    format!(
        "{{before-help}}{{about-with-newline}}\n{}{}{:#} {{usage}}\n\n{{all-args}}{{after-help}}",
        usage.render(),
        pick(lang, "Cách dùng:", "Usage:"),
        usage.render_reset(),
    )
}

/// The command line of this process, parsed in `lang`. `--help`, `help …` and `--version`
/// print and exit 0; a wrong command line prints clap's error, then (in Vietnamese) how to
/// get help, and exits 2.
pub fn matches(lang: Lang) -> ArgMatches {
    let args: Vec<OsString> = std::env::args_os().collect();
    let mut cmd = command(lang);
    match cmd.try_get_matches_from_mut(&args) {
        Ok(m) => {
            if let Some(path) = help_asked(&m) {
                print_help(cmd, &path, lang);
            }
            m
        }
        Err(e) => refuse(&e, &cmd, &args, lang),
    }
}

/// The subcommand path `loaxa … help PATH…` asks about, if that is what was typed.
fn help_asked(m: &ArgMatches) -> Option<Vec<String>> {
    let mut path = Vec::new();
    let mut at = m;
    while let Some((name, sub)) = at.subcommand() {
        if name == HELP {
            let asked = sub
                .get_many::<String>("command")
                .into_iter()
                .flatten()
                .cloned();
            path.extend(asked);
            return Some(path);
        }
        path.push(name.to_string());
        at = sub;
    }
    None
}

/// Prints the help of the subcommand at `path` (as far as it names one) and exits 0.
fn print_help(mut cmd: Command, path: &[String], lang: Lang) -> ! {
    cmd.build();
    print_styled(&help_of(&mut cmd, path), lang, &mut std::io::stdout());
    std::process::exit(0)
}

/// The help of the subcommand of `cmd` at `path`, as far as `path` names subcommands.
fn help_of(cmd: &mut Command, path: &[String]) -> clap::builder::StyledStr {
    if let Some((name, rest)) = path.split_first()
        && let Some(sub) = cmd.find_subcommand_mut(name)
    {
        return help_of(sub, rest);
    }
    cmd.render_help()
}

/// Writes a help text clap rendered, with the usage's `[OPTIONS]` (which clap writes in
/// English whatever the template) in the words of the options heading; colours only on a
/// terminal.
fn print_styled(text: &clap::builder::StyledStr, lang: Lang, out: &mut impl std::io::Write) {
    use std::io::IsTerminal;
    let coloured = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut plain = if coloured {
        text.ansi().to_string()
    } else {
        text.to_string()
    };
    if !plain.ends_with('\n') {
        plain.push('\n');
    }
    let placeholder = pick(lang, "[TUỲ_CHỌN]", "[OPTIONS]");
    // A closed terminal cannot be told anything more.
    let _ = out.write_all(plain.replace("[OPTIONS]", placeholder).as_bytes());
}

/// Prints clap's verdict on a wrong command line and, in Vietnamese, the command that
/// explains the subcommand typed; then exits with clap's code.
fn refuse(e: &clap::Error, cmd: &Command, args: &[OsString], lang: Lang) -> ! {
    let shown = matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    match e.kind() {
        ErrorKind::DisplayHelp => print_styled(&e.render(), lang, &mut std::io::stdout()),
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            print_styled(&e.render(), lang, &mut std::io::stderr());
        }
        _ => {
            let _ = e.print();
        }
    }
    if !shown && lang == Lang::Vi {
        let path = typed_path(cmd, args);
        eprintln!("\nXem cách dùng: {} --help", path.join(" "));
    }
    std::process::exit(e.exit_code())
}

/// `loaxa` and the subcommands named on the command line, as far as they exist.
fn typed_path(cmd: &Command, args: &[OsString]) -> Vec<String> {
    let mut path = vec![cmd.get_name().to_string()];
    let mut at = cmd;
    for word in args.iter().skip(1).filter_map(|a| a.to_str()) {
        if let Some(sub) = at.find_subcommand(word).filter(|s| s.get_name() != HELP) {
            path.push(sub.get_name().to_string());
            at = sub;
        }
    }
    path
}
