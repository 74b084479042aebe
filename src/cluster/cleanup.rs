pub fn install_signal_handlers() {}
