// qdiff command-line entry point: parses, validates and calls the library. One file per subcommand.
#include <cstdio>
int main() { std::puts("qdiff skeleton"); return 0; }
