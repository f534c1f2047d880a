//! What a check says, and how a solution is shown.

use std::fmt;

/// The verdict on one exercise answer: right, or not yet and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Feedback {
    passed: bool,
    text: String,
}

impl Feedback {
    /// A right answer, with what makes it right.
    pub fn right(text: impl Into<String>) -> Feedback {
        Feedback { passed: true, text: text.into() }
    }

    /// An answer that is wrong or unfinished, with what is missing.
    pub fn not_yet(text: impl Into<String>) -> Feedback {
        Feedback { passed: false, text: text.into() }
    }

    /// Whether the answer is right.
    pub fn passed(&self) -> bool {
        self.passed
    }

    /// The explanation alone.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Evcxr shows the verdict as its sentence.
    pub fn evcxr_display(&self) {
        println!("{self}");
    }

    /// Join several verdicts: right only if all are, every sentence kept.
    pub fn all(parts: impl IntoIterator<Item = Feedback>) -> Feedback {
        let parts: Vec<Feedback> = parts.into_iter().collect();
        let passed = !parts.is_empty() && parts.iter().all(|p| p.passed);
        let right = parts.iter().filter(|p| p.passed).count();
        let lines: Vec<String> = parts.iter().map(|p| format!("\n  {} {}", p.mark(), p.text)).collect();
        Feedback { passed, text: format!("{right} of {} right:{}", parts.len(), lines.concat()) }
    }

    fn mark(&self) -> &'static str {
        if self.passed { "✓" } else { "✗" }
    }
}

impl fmt::Display for Feedback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", if self.passed { "RIGHT:" } else { "NOT YET:" }, self.text)
    }
}

/// The solution of one exercise: the code, and why it is the answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Solution {
    title: String,
    code: String,
    why: String,
}

impl Solution {
    /// `source` is a solution file: the very block a learner runs in the
    /// exercise cell (tests `include!` it, so what is shown is what passes).
    /// It is a block because evcxr cannot keep a closure in a variable
    /// between cells.
    pub(crate) fn new(title: &str, source: &str, why: &str) -> Solution {
        Solution { title: title.into(), code: source.trim().into(), why: why.into() }
    }

    /// A notebook asked for an exercise it does not have.
    pub(crate) fn unknown(notebook: &str, asked: usize, have: usize) -> Solution {
        let why = format!("{notebook} has exercises 1 to {have}; there is no exercise {asked}.");
        Solution { title: format!("No exercise {asked}"), code: String::new(), why }
    }

    /// The code of the solution, as a learner would type it in the cell.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// Evcxr shows the solution as text.
    pub fn evcxr_display(&self) {
        println!("{self}");
    }
}

impl fmt::Display for Solution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.title)?;
        if !self.code.is_empty() {
            writeln!(f, "\n{}\n", self.code)?;
        }
        write!(f, "{}", self.why)
    }
}

/// Whether `got` is within `rel` (relative) of `want`; infinities match infinities.
pub(crate) fn close(got: f64, want: f64, rel: f64) -> bool {
    if want.is_infinite() {
        return got.is_infinite() || got > 1e9;
    }
    got.is_finite() && (got - want).abs() <= rel * want.abs().max(1e-12)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_solution_shows_its_code_and_why() {
        let s = Solution::new("Exercise 1", "{\n    let a = 1;\n    a\n}\n", "because");
        assert_eq!(s.code(), "{\n    let a = 1;\n    a\n}");
        assert!(s.to_string().starts_with("Exercise 1\n\n{") && s.to_string().ends_with("because"));
    }

    #[test]
    fn all_is_right_only_when_every_part_is() {
        assert!(Feedback::all([Feedback::right("a"), Feedback::right("b")]).passed());
        assert!(!Feedback::all([Feedback::right("a"), Feedback::not_yet("b")]).passed());
        assert!(!Feedback::all([]).passed());
    }

    #[test]
    fn close_compares_relatively() {
        assert!(close(10.05, 10.0, 0.01));
        assert!(!close(10.5, 10.0, 0.01));
        assert!(close(f64::INFINITY, f64::INFINITY, 0.01));
        assert!(!close(f64::NAN, 1.0, 0.01));
    }
}
