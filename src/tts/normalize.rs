//! Text written for the eye → text a speech engine reads as a Vietnamese announcer would.
//!
//! espeak-ng reads "18/5" digit by digit and "UBND" letter by letter; a bulletin is full of
//! both. So before synthesis numbers become Vietnamese words (with the spoken forms "mốt",
//! "tư", "lăm", "linh", "mươi"), dates, times and percentages their spoken phrases, and the
//! abbreviations of official texts their full words ([`ABBREVIATIONS`], the one table).
//! Everything here is pure and bounded: any input gives an answer, never a panic.

/// The abbreviations common in commune bulletins and what is read for them. Matched as a
/// whole token (or the letters of a token such as `NQ57`), case-sensitively.
pub const ABBREVIATIONS: &[(&str, &str)] = &[
    ("UBND", "Ủy ban nhân dân"),
    ("HĐND", "Hội đồng nhân dân"),
    ("MTTQ", "Mặt trận Tổ quốc"),
    ("KH&CN", "khoa học và công nghệ"),
    ("KHCN", "khoa học công nghệ"),
    ("CĐS", "chuyển đổi số"),
    ("CNTT", "công nghệ thông tin"),
    ("NQ", "nghị quyết"),
    ("QĐ", "quyết định"),
    ("NĐ", "nghị định"),
    ("TT", "thông tư"),
    ("TP", "thành phố"),
    ("TP.HCM", "Thành phố Hồ Chí Minh"),
    ("TW", "trung ương"),
    ("BCH", "Ban chấp hành"),
    ("THCS", "trung học cơ sở"),
    ("THPT", "trung học phổ thông"),
    ("BHYT", "bảo hiểm y tế"),
    ("BHXH", "bảo hiểm xã hội"),
    ("HTX", "hợp tác xã"),
    ("PCCC", "phòng cháy chữa cháy"),
    ("PCTT", "phòng chống thiên tai"),
    ("ATGT", "an toàn giao thông"),
    ("CSGT", "cảnh sát giao thông"),
    ("km", "ki lô mét"),
    ("kg", "ki lô gam"),
    ("ha", "héc ta"),
    ("đ", "đồng"),
    ("VNĐ", "đồng"),
];

const DIGITS: [&str; 10] = [
    "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
];

/// Longest run of digits read as one number (below a million billion); longer runs are read
/// digit by digit, as an account or phone number is.
const MAX_NUMBER_DIGITS: usize = 15;

/// Characters that may sit inside a token with its letters and digits (`1.000`, `2,5`,
/// `18/5`, `07:30`, `KH&CN`, `15%`).
const JOINERS: &[char] = &['.', ',', '/', ':', '&', '%'];

/// `text` with its numbers, dates, times, percentages and abbreviations written out as
/// Vietnamese words; everything else as it was.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if !c.is_alphanumeric() {
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if let Some((words, len)) = range_at(rest, previous_word(&out)) {
            push_words(&mut out, &words);
            rest = &rest[len..];
            continue;
        }
        let len = token_len(rest);
        expand_token(&rest[..len], &mut out);
        rest = &rest[len..];
    }
    out
}

/// A range of days at the start of `s` (`7-10/5`: a token, a dash, a date token): its words
/// and its length in bytes.
fn range_at(s: &str, before: &str) -> Option<(String, usize)> {
    let first = token_len(s);
    let dash = s[first..]
        .chars()
        .next()
        .filter(|c| matches!(c, '-' | '–'))?;
    let second = first + dash.len_utf8();
    let len = second + token_len(&s[second..]);
    date_range(&s[..len], before).map(|words| (words, len))
}

/// The length in bytes of the token at the start of `s`: letters, digits and the joiners
/// between them (a joiner at the end is punctuation, not part of the token; `%` excepted).
fn token_len(s: &str) -> usize {
    let end = s
        .char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || JOINERS.contains(&c)))
        .map_or(s.len(), |(i, _)| i);
    let token = s[..end].trim_end_matches(|c: char| c != '%' && JOINERS.contains(&c));
    token.len()
}

/// Appends the words for one token.
fn expand_token(token: &str, out: &mut String) {
    if let Some(words) = abbreviation(token) {
        push_words(out, words);
        return;
    }
    if let Some(words) = spoken_form(token, previous_word(out)) {
        push_words(out, &words);
        return;
    }
    for part in split_kinds(token) {
        expand_part(part, out);
    }
}

/// One part of a token that is not read whole: letters, digits or a joiner.
fn expand_part(part: &str, out: &mut String) {
    if let Some(words) = abbreviation(part) {
        push_words(out, words);
    } else if part.starts_with(|c: char| c.is_ascii_digit()) {
        push_words(
            out,
            &number_text(part).unwrap_or_else(|| digits_words(part)),
        );
    } else if part == "&" {
        push_words(out, "và");
    } else if part == "%" {
        push_words(out, "phần trăm");
    } else if part.starts_with(JOINERS) {
        // Punctuation inside a token stays where it was, without spaces around it.
        out.push_str(part);
    } else {
        push_words(out, part);
    }
}

/// What the abbreviation table reads for `token`.
fn abbreviation(token: &str) -> Option<&'static str> {
    ABBREVIATIONS
        .iter()
        .find(|(short, _)| *short == token)
        .map(|(_, long)| *long)
}

/// A token read whole: a date, a time, a percentage or a number.
fn spoken_form(token: &str, before: &str) -> Option<String> {
    if let Some(number) = token.strip_suffix('%') {
        return Some(format!("{} phần trăm", number_text(number)?));
    }
    date(token, before)
        .or_else(|| date_range(token, before))
        .or_else(|| time(token))
        .or_else(|| number_text(token))
}

/// The token split where letters meet digits or a joiner (`NQ57` → `NQ`, `57`); a joiner
/// between two digits stays in the number (`500.000đ` → `500.000`, `đ`).
fn split_kinds(token: &str) -> Vec<&str> {
    fn kind(c: char) -> u8 {
        if c.is_ascii_digit() {
            0
        } else if c.is_alphanumeric() {
            1
        } else {
            2
        }
    }
    let mut parts = Vec::new();
    let mut start = 0;
    let mut last = None;
    let mut chars = token.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let digit_follows = chars.peek().is_some_and(|(_, n)| n.is_ascii_digit());
        let k = match kind(c) {
            2 if last == Some(0) && digit_follows && c != '/' && c != ':' => 0,
            k => k,
        };
        // Every joiner is a part of its own.
        if last.is_some_and(|l| l != k || k == 2) {
            parts.push(&token[start..i]);
            start = i;
        }
        last = Some(k);
    }
    if start < token.len() {
        parts.push(&token[start..]);
    }
    parts
}

/// The last word written so far, lower-cased (to not say "ngày ngày").
fn previous_word(out: &str) -> &str {
    out.trim_end()
        .rsplit(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("")
}

/// Appends `words`, with a space first when they would otherwise touch a word.
fn push_words(out: &mut String, words: &str) {
    if out.chars().next_back().is_some_and(char::is_alphanumeric) {
        out.push(' ');
    }
    out.push_str(words);
}

/// A run of ASCII digits as one number, or digit by digit when it starts with 0 (a phone
/// number) or is too long.
fn digits_words(digits: &str) -> String {
    let whole =
        digits.len() <= MAX_NUMBER_DIGITS && (digits.len() == 1 || !digits.starts_with('0'));
    match digits.parse::<u64>() {
        Ok(n) if whole => number_words(n),
        _ => digit_by_digit(digits),
    }
}

fn digit_by_digit(digits: &str) -> String {
    digits
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| DIGITS[usize::from(b - b'0')])
        .collect::<Vec<_>>()
        .join(" ")
}

/// `n` in Vietnamese words: 21 → "hai mươi mốt", 105 → "một trăm linh năm",
/// 2025 → "hai nghìn không trăm hai mươi lăm".
pub fn number_words(n: u64) -> String {
    if n == 0 {
        return DIGITS[0].to_string();
    }
    let mut words = Vec::new();
    push_number(n, false, &mut words);
    words.join(" ")
}

/// `n` > 0; `full`: a higher part was said, so "không trăm" and "linh" are said too.
fn push_number(n: u64, full: bool, words: &mut Vec<&'static str>) {
    const BILLION: u64 = 1_000_000_000;
    let mut full = full;
    let below = if n >= BILLION {
        push_number(n / BILLION, full, words);
        words.push("tỷ");
        full = true;
        n % BILLION
    } else {
        n
    };
    for (scale, name) in [(1_000_000, "triệu"), (1_000, "nghìn"), (1, "")] {
        let group = below / scale % 1000;
        if group == 0 {
            continue;
        }
        push_hundreds(group, full, words);
        if !name.is_empty() {
            words.push(name);
        }
        full = true;
    }
}

/// A group of three digits, 1…999.
fn push_hundreds(n: u64, full: bool, words: &mut Vec<&'static str>) {
    let digit = |d: u64| DIGITS[d as usize % 10];
    let (hundreds, tens, units) = (n / 100 % 10, n / 10 % 10, n % 10);
    let said_hundreds = hundreds > 0 || full;
    if said_hundreds {
        words.extend([digit(hundreds), "trăm"]);
    }
    match (tens, units) {
        (0, 0) => {}
        (0, u) => {
            if said_hundreds {
                words.push("linh");
            }
            words.push(digit(u));
        }
        (1, u) => {
            words.push("mười");
            match u {
                0 => {}
                5 => words.push("lăm"),
                u => words.push(digit(u)),
            }
        }
        (t, u) => {
            words.extend([digit(t), "mươi"]);
            match u {
                0 => {}
                1 => words.push("mốt"),
                4 => words.push("tư"),
                5 => words.push("lăm"),
                u => words.push(digit(u)),
            }
        }
    }
}

/// A written number: `1.000.000` (dots between groups of three), `2,5` (decimal comma),
/// `1.234,5`, `1.5` (a decimal point, read "chấm"), or plain digits.
fn number_text(token: &str) -> Option<String> {
    if token.is_empty() || !token.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let (whole, fraction, mark) = match token.split_once(',') {
        Some((w, f)) => (w, Some(f), "phẩy"),
        None => match token.split_once('.') {
            Some((w, f)) if !grouped(token) => (w, Some(f), "chấm"),
            _ => (token, None, ""),
        },
    };
    let whole_digits = ungroup(whole)?;
    let mut text = digits_words(&whole_digits);
    if let Some(fraction) = fraction {
        if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        text.push(' ');
        text.push_str(mark);
        text.push(' ');
        text.push_str(&fraction_words(fraction));
    }
    Some(text)
}

/// Whether `s` is digits in groups of three after dots (`1.000`, `12.345.678`).
fn grouped(s: &str) -> bool {
    let mut groups = s.split('.');
    let first = groups.next().unwrap_or("");
    let all_digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    all_digits(first) && first.len() <= 3 && groups.all(|g| g.len() == 3 && all_digits(g))
}

/// The digits of a whole part, with its thousands dots removed; `None` when it is not one.
fn ungroup(whole: &str) -> Option<String> {
    if whole.contains('.') && !grouped(whole) {
        return None;
    }
    let digits: String = whole.chars().filter(|&c| c != '.').collect();
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// The digits after the decimal mark: leading zeros each said, then the rest as a number
/// (`05` → "không năm", `25` → "hai mươi lăm").
fn fraction_words(fraction: &str) -> String {
    let rest = fraction.trim_start_matches('0');
    let zeros = fraction.len() - rest.len();
    let mut words: Vec<String> = vec![DIGITS[0].to_string(); zeros];
    if !rest.is_empty() {
        words.push(if rest.len() <= 3 {
            digits_words(rest)
        } else {
            digit_by_digit(rest)
        });
    }
    words.join(" ")
}

/// A small whole number of at most `max_len` digits.
fn small(s: &str, max_len: usize) -> Option<u32> {
    if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The month as said after "tháng": 4 is "tư".
fn month_words(month: u32) -> String {
    match month {
        4 => "tư".to_string(),
        m => number_words(u64::from(m)),
    }
}

/// `18/5` → "ngày mười tám tháng năm", `10/10/2025` → "ngày mười tháng mười năm hai nghìn
/// không trăm hai mươi lăm", `5/2025` → "tháng năm năm hai nghìn …". The leading "ngày" or
/// "tháng" is left out when the text already says it (`before`).
fn date(token: &str, before: &str) -> Option<String> {
    let parts: Vec<&str> = token.split('/').collect();
    let (day, month, year) = match parts.as_slice() {
        [d, m] if m.len() == 4 => (None, small(d, 2)?, Some(small(m, 4)?)),
        [d, m] => (Some(small(d, 2)?), small(m, 2)?, None),
        [d, m, y] => (Some(small(d, 2)?), small(m, 2)?, Some(small(y, 4)?)),
        _ => return None,
    };
    if !(1..=12).contains(&month) || day.is_some_and(|d| !(1..=31).contains(&d)) {
        return None;
    }
    let mut words = Vec::new();
    let said = before.to_lowercase();
    if let Some(day) = day {
        words.push(day_words(day, &said));
    }
    if day.is_some() || said != "tháng" {
        words.push("tháng".to_string());
    }
    words.push(month_words(month));
    if let Some(year) = year {
        words.push(format!("năm {}", number_words(u64::from(year))));
    }
    Some(words.join(" "))
}

/// A day of the month as an announcer reads it: "ngày mười tám", and "ngày mồng năm" for the
/// first ten; what the text already says before it ("ngày", "mồng", "mùng") is not said again.
fn day_words(day: u32, said: &str) -> String {
    let number = number_words(u64::from(day));
    let mong = day <= 10;
    match said {
        "mồng" | "mùng" => number,
        "ngày" if mong => format!("mồng {number}"),
        "ngày" => number,
        _ if mong => format!("ngày mồng {number}"),
        _ => format!("ngày {number}"),
    }
}

/// A range of days in one month, as bulletins write it: `7-10/5` → "từ ngày mồng bảy đến
/// ngày mồng mười tháng năm", `28-30/4/2026` → "… năm hai nghìn …" (after "từ" in the text:
/// no second "từ").
fn date_range(token: &str, before: &str) -> Option<String> {
    let (first, rest) = token.split_once(['-', '–'])?;
    let first = small(first, 2).filter(|d| (1..=31).contains(d))?;
    let (last, _) = rest.split_once('/')?;
    small(last, 2).filter(|d| (first + 1..=31).contains(d))?;
    let until = date(rest, "")?;
    let said = before.to_lowercase();
    let from = if said == "từ" {
        day_words(first, "")
    } else {
        format!("từ {}", day_words(first, &said))
    };
    Some(format!("{from} đến {until}"))
}

/// `7h30`, `07:30`, `19h` → "bảy giờ ba mươi phút", "mười chín giờ".
fn time(token: &str) -> Option<String> {
    let (hours, minutes) = token
        .split_once(['h', 'H'])
        .or_else(|| token.split_once(':'))?;
    let hours = small(hours, 2).filter(|h| *h <= 24)?;
    let minutes = if minutes.is_empty() && !token.contains(':') {
        0
    } else {
        small(minutes, 2).filter(|m| *m <= 59 && minutes.len() == 2)?
    };
    let mut text = format!("{} giờ", number_words(u64::from(hours)));
    if minutes > 0 {
        text.push_str(&format!(" {} phút", number_words(u64::from(minutes))));
    }
    Some(text)
}

/// The first words of `text`, for a title: at most `max_words` words and `max_chars`
/// characters, with "…" when cut.
pub fn first_words(text: &str, max_words: usize, max_chars: usize) -> String {
    let mut title = String::new();
    let mut cut = false;
    for (i, word) in text.split_whitespace().enumerate() {
        let room = title.chars().count() + word.chars().count() + 1;
        if i == max_words || room > max_chars {
            cut = true;
            break;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(word);
    }
    if title.is_empty() {
        // One word longer than the limit.
        title = text.chars().take(max_chars).collect();
        cut = text.chars().count() > max_chars;
    }
    if cut {
        title.push('…');
    }
    title
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (written, read) — the table every rule of this module answers to.
    const CASES: &[(&str, &str)] = &[
        ("0", "không"),
        ("5", "năm"),
        ("10", "mười"),
        ("11", "mười một"),
        ("14", "mười bốn"),
        ("15", "mười lăm"),
        ("20", "hai mươi"),
        ("21", "hai mươi mốt"),
        ("24", "hai mươi tư"),
        ("25", "hai mươi lăm"),
        ("55", "năm mươi lăm"),
        ("99", "chín mươi chín"),
        ("100", "một trăm"),
        ("101", "một trăm linh một"),
        ("105", "một trăm linh năm"),
        ("110", "một trăm mười"),
        ("115", "một trăm mười lăm"),
        ("121", "một trăm hai mươi mốt"),
        ("1000", "một nghìn"),
        ("1005", "một nghìn không trăm linh năm"),
        ("1050", "một nghìn không trăm năm mươi"),
        ("2025", "hai nghìn không trăm hai mươi lăm"),
        ("10000", "mười nghìn"),
        ("15000", "mười lăm nghìn"),
        ("1.000.000", "một triệu"),
        ("1.000.005", "một triệu không trăm linh năm"),
        ("2.500.000", "hai triệu năm trăm nghìn"),
        ("1.000.000.000", "một tỷ"),
        (
            "999.999.999.999",
            "chín trăm chín mươi chín tỷ chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín",
        ),
        ("3.200.000.000", "ba tỷ hai trăm triệu"),
        ("2,5", "hai phẩy năm"),
        ("2,05", "hai phẩy không năm"),
        ("1.234,5", "một nghìn hai trăm ba mươi tư phẩy năm"),
        ("15%", "mười lăm phần trăm"),
        ("2,5%", "hai phẩy năm phần trăm"),
        ("100%", "một trăm phần trăm"),
        ("18/5", "ngày mười tám tháng năm"),
        ("1/4", "ngày mồng một tháng tư"),
        ("mồng 5/10", "mồng năm tháng mười"),
        ("ngày 10/3", "ngày mồng mười tháng ba"),
        ("ngày 11/3", "ngày mười một tháng ba"),
        ("7-10/5", "từ ngày mồng bảy đến ngày mồng mười tháng năm"),
        (
            "từ 28-30/4/2026",
            "từ ngày hai mươi tám đến ngày ba mươi tháng tư năm hai nghìn không trăm hai mươi sáu",
        ),
        // Not a range (the first day after the second): read as written.
        ("10-7/5", "mười-ngày mồng bảy tháng năm"),
        (
            "10/10/2025",
            "ngày mồng mười tháng mười năm hai nghìn không trăm hai mươi lăm",
        ),
        (
            "ngày 2/9/1945",
            "ngày mồng hai tháng chín năm một nghìn chín trăm bốn mươi lăm",
        ),
        (
            "tháng 5/2026",
            "tháng năm năm hai nghìn không trăm hai mươi sáu",
        ),
        ("7h30", "bảy giờ ba mươi phút"),
        ("07:30", "bảy giờ ba mươi phút"),
        ("19h", "mười chín giờ"),
        ("14h05", "mười bốn giờ năm phút"),
        ("UBND xã", "Ủy ban nhân dân xã"),
        ("HĐND", "Hội đồng nhân dân"),
        ("KH&CN", "khoa học và công nghệ"),
        ("KHCN", "khoa học công nghệ"),
        ("CĐS", "chuyển đổi số"),
        ("QĐ", "quyết định"),
        ("TP.HCM", "Thành phố Hồ Chí Minh"),
        ("TW", "trung ương"),
        ("CNTT", "công nghệ thông tin"),
        ("NQ57", "nghị quyết năm mươi bảy"),
        (
            "NQ 57-NQ/TW",
            "nghị quyết năm mươi bảy-nghị quyết/trung ương",
        ),
        ("0912345678", "không chín một hai ba bốn năm sáu bảy tám"),
        ("5km", "năm ki lô mét"),
        ("500.000đ", "năm trăm nghìn đồng"),
        ("2,5ha", "hai phẩy năm héc ta"),
        ("120 ha lúa", "một trăm hai mươi héc ta lúa"),
        ("COVID-19", "COVID-mười chín"),
        ("A&B", "A và B"),
        ("32/13", "ba mươi hai/mười ba"),
        ("25h", "hai mươi lăm h"),
        ("Xin chào bà con.", "Xin chào bà con."),
        ("", ""),
        ("...", "..."),
        (
            "Lúc 7h30 ngày 18/5, UBND xã họp.",
            "Lúc bảy giờ ba mươi phút ngày mười tám tháng năm, Ủy ban nhân dân xã họp.",
        ),
        (
            "Giá lúa tăng 15%, đạt 1.200.000 đồng.",
            "Giá lúa tăng mười lăm phần trăm, đạt một triệu hai trăm nghìn đồng.",
        ),
        ("1.5", "một chấm năm"),
        (
            "12345678901234567890",
            "một hai ba bốn năm sáu bảy tám chín không một hai ba bốn năm sáu bảy tám chín không",
        ),
    ];

    #[test]
    fn the_table_reads_as_an_announcer_would() {
        let wrong: Vec<String> = CASES
            .iter()
            .filter(|(written, read)| normalize(written) != *read)
            .map(|(written, read)| {
                format!("{written:?}: want {read:?}, got {:?}", normalize(written))
            })
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        assert!(CASES.len() >= 40);
    }

    #[test]
    fn every_number_up_to_a_million_billion_has_words() {
        for n in [
            1,
            7,
            44,
            404,
            4_004,
            40_040,
            999_999,
            1_000_001,
            999_999_999_999,
            999_999_999_999_999,
        ] {
            let words = number_words(n);
            assert!(!words.is_empty() && !words.contains("  "), "{n}: {words}");
            assert!(
                words.chars().all(|c| c.is_alphabetic() || c == ' '),
                "{n}: {words}"
            );
        }
        assert_eq!(number_words(1_000_000_000_000), "một nghìn tỷ");
    }

    #[test]
    fn no_input_panics() {
        for s in [
            "/",
            "1/",
            "/1",
            "99/99/99999",
            "1h",
            "h1",
            ":",
            "1:",
            "%",
            "1,",
            ",1",
            "1.2.3",
            "٣",
            "Ⅻ",
            "1\u{301}",
            "𝟙𝟚",
            "1%%",
            "&&",
            "0,0000000000000000001",
        ] {
            let _ = normalize(s);
        }
    }

    #[test]
    fn first_words_make_a_short_title() {
        assert_eq!(
            first_words("Thông báo lịch tiêm phòng", 8, 80),
            "Thông báo lịch tiêm phòng"
        );
        assert_eq!(first_words("a b c d", 2, 80), "a b…");
        assert_eq!(first_words("abcdef", 8, 3), "abc…");
    }
}
