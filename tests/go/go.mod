module flamekit.test/pprofburn

go 1.19
