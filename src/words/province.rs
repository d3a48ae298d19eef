//! The province link's words: why an address cannot be used, and what failed when sending.

use std::borrow::Cow;

use super::{Lang, pick, pick_owned};
use crate::province::{DbFault, DbUrlProblem, Phase};

impl DbUrlProblem {
    pub fn say(&self, lang: Lang) -> Cow<'static, str> {
        match self {
            DbUrlProblem::Scheme => pick(
                lang,
                "địa chỉ phải bắt đầu bằng postgres:// (hoặc postgresql://)",
                "it must start with postgres:// (or postgresql://)",
            ),
            DbUrlProblem::Syntax { detail } => pick_owned(
                lang,
                format!("viết sai ({detail})"),
                format!("it does not parse ({detail})"),
            ),
            DbUrlProblem::NoHost => pick(lang, "thiếu tên máy chủ", "the host name is missing"),
            DbUrlProblem::NoUser => pick(
                lang,
                "thiếu tên đăng nhập của đài (`TÊN:MẬT_KHẨU@` trước tên máy chủ)",
                "the station's login is missing (`NAME:PASSWORD@` before the host)",
            ),
            DbUrlProblem::NoDatabase => pick(
                lang,
                "thiếu tên cơ sở dữ liệu sau tên máy chủ (ví dụ `/loaxa`)",
                "the database name after the host is missing (e.g. `/loaxa`)",
            ),
        }
    }
}

impl super::Say for DbFault {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        match self {
            DbFault::Unreachable => pick(
                lang,
                "không kết nối được máy chủ của tỉnh (mất mạng, máy chủ tắt, hoặc sai địa chỉ)",
                "cannot reach the province's server (no network, the server is down, or a wrong address)",
            ),
            DbFault::Tls => pick(
                lang,
                "kết nối bảo mật (TLS) với máy chủ của tỉnh thất bại (chứng chỉ không tin cậy?)",
                "the secure connection (TLS) to the province's server failed (an untrusted certificate?)",
            ),
            DbFault::Refused => pick(
                lang,
                "máy chủ của tỉnh từ chối đăng nhập (sai tên hoặc mật khẩu của đài)",
                "the province's server refused the login (wrong station login or password)",
            ),
            DbFault::SchemaMissing => pick(
                lang,
                "cơ sở dữ liệu của tỉnh chưa được chuẩn bị cho loaxa (tỉnh cần chạy `loaxa province migrate`)",
                "the province's database is not set up for loaxa (the province must run `loaxa province migrate`)",
            ),
            DbFault::NotRegistered => pick(
                lang,
                "đài chưa được đăng ký ở tỉnh với mã đài và tài khoản này",
                "the station is not registered at the province with this code and login",
            ),
            DbFault::Diverged => pick(
                lang,
                "bản sao nhật ký ở tỉnh không khớp nhật ký của đài: đã dừng gửi, cần kiểm tra",
                "the province's copy of the log does not match this station's log: sending stopped, needs checking",
            ),
            DbFault::Forbidden => pick(
                lang,
                "tài khoản của đài không có quyền ghi vào cơ sở dữ liệu của tỉnh",
                "the station's login may not write to the province's database",
            ),
            DbFault::Other => pick(
                lang,
                "máy chủ của tỉnh báo lỗi",
                "the province's server reported an error",
            ),
        }
    }
}

impl super::Say for Phase {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        match self {
            Phase::Connecting => pick(lang, "đang kết nối", "connecting"),
            Phase::UpToDate => pick(lang, "đã gửi đủ", "up to date"),
            Phase::Sending => pick(lang, "đang gửi", "sending"),
            Phase::Retrying => pick(lang, "mất kết nối, đang thử lại", "lost, retrying"),
            Phase::Stopped => pick(lang, "đã dừng gửi, cần kiểm tra", "stopped, needs checking"),
        }
    }
}
