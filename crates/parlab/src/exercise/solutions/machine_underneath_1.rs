{
    let (s, n) = (0.1, 16);
    let amdahl = 1.0 / (s + (1.0 - s) / n as f64);
    let gustafson = n as f64 - s * (n as f64 - 1.0);
    exercise::machine_underneath::check_1(s, n, amdahl, gustafson)
}
