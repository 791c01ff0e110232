int notthere_value(void) { return 41; }
