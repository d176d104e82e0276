{
  description = "Classic learning experiments in pure numpy: dev shell";
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  inputs.flake-utils.url = "github:numtide/flake-utils";
  outputs = { self, nixpkgs, flake-utils }:
    flake-utils.lib.eachDefaultSystem (system:
      let
        pkgs = nixpkgs.legacyPackages.${system};
        python = pkgs.python3.withPackages (ps: [ ps.numpy ps.matplotlib ps.pillow ps.pytest ]);
      in {
        # nix develop: python3 with numpy, matplotlib, pillow and pytest; mdbook; chromium for the site check
        devShells.default = pkgs.mkShell {
          packages = [ python pkgs.mdbook ] ++ pkgs.lib.optional pkgs.stdenv.isLinux pkgs.chromium;
          shellHook = ''export MPLBACKEND=Agg'';
        };
      });
}
