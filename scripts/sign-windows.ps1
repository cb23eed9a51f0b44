# Signs one Windows file (the app, or an installer) for the release build;
# Tauri calls it through bundle.windows.signCommand in tauri.release.conf.json
# with the file's path. The certificate comes from the environment, never
# from the repository:
#   WINDOWS_CERTIFICATE           the .pfx file, base64-encoded
#   WINDOWS_CERTIFICATE_PASSWORD  its password
#   WINDOWS_TIMESTAMP_URL         a RFC 3161 timestamp server (optional)
# Without a certificate the file is left unsigned, with a warning, so a
# team can still build for itself.
param([Parameter(Mandatory = $true)][string]$File)
$ErrorActionPreference = 'Stop'

if (-not $env:WINDOWS_CERTIFICATE) {
    Write-Warning "WINDOWS_CERTIFICATE is not set: $File stays unsigned"
    exit 0
}
$scratch = if ($env:RUNNER_TEMP) { $env:RUNNER_TEMP } else { [IO.Path]::GetTempPath() }
$pfx = Join-Path $scratch 'keydesk-signing.pfx'
[IO.File]::WriteAllBytes($pfx, [Convert]::FromBase64String($env:WINDOWS_CERTIFICATE))
try {
    $timestamp = if ($env:WINDOWS_TIMESTAMP_URL) { $env:WINDOWS_TIMESTAMP_URL } else { 'http://timestamp.digicert.com' }
    $signtool = Get-ChildItem "${env:ProgramFiles(x86)}\Windows Kits\10\bin\*\x64\signtool.exe" |
        Sort-Object FullName -Descending | Select-Object -First 1
    & $signtool.FullName sign /fd SHA256 /td SHA256 /tr $timestamp /f $pfx /p $env:WINDOWS_CERTIFICATE_PASSWORD $File
    if ($LASTEXITCODE -ne 0) { throw "signtool failed on $File ($LASTEXITCODE)" }
}
finally {
    Remove-Item $pfx -ErrorAction SilentlyContinue
}
