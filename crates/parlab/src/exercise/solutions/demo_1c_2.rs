{
    let s = fit_all.unwrap_or(0.5);
    let ceiling = if s > 0.0 { 1.0 / s } else { f64::INFINITY };
    let at_8 = 1.0 / (s + (1.0 - s) / 8.0);
    exercise::demo_1c::check_2(s, ceiling, at_8)
}
