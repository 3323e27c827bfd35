// eslint over the POS screen code (CI: .ci/lint). Odoo's assets are ES modules; the rules are
// the correctness ones of eslint:recommended, written out so no plugin package is needed.
export default [
    {
        files: ["static/**/*.js"],
        languageOptions: {
            ecmaVersion: 2022,
            sourceType: "module",
            globals: {
                window: "readonly", document: "readonly", console: "readonly", odoo: "readonly",
                setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly",
                clearInterval: "readonly", Audio: "readonly", navigator: "readonly", luxon: "readonly",
            },
        },
        rules: {
            "no-undef": "error",
            "no-unused-vars": ["error", { args: "none" }],
            "no-unreachable": "error",
            "no-dupe-keys": "error",
            "no-dupe-class-members": "error",
            "no-redeclare": "error",
            "no-self-assign": "error",
            "no-const-assign": "error",
            "no-fallthrough": "error",
            "no-cond-assign": "error",
            "no-constant-condition": "error",
            "no-var": "error",
            "prefer-const": "error",
        },
    },
];
